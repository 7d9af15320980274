# ustim: firmware for a two-channel TENS/EMS stimulator (RP2040 and ESP32).
VERSION = "0.1.0"
