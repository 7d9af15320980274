# Output writers of the simulated board: turn a Recording into the files a user
# opens (trace.vcd, pulses.csv, waveform.png, oled/, logs, summary, report).
