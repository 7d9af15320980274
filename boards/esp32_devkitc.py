# ESP32-DevKitC reference board. Copied to the device as board.py.
# Fields are described in docs/boards.md. Wiring: docs/wiring-esp32.md.
NAME = "esp32_devkitc"
PLATFORM = "esp32"
CHANNELS = 2

# H-bridge logic inputs per channel, each driven by an RMT channel.
PIN_A = (16, 18)
PIN_B = (17, 19)
PIN_HV_EN = 4
PIN_AMP_DAC = (25, 26)    # amplitude reference from the 8-bit DACs
AMP_FULL_SCALE_UA = 100000  # DAC code 255 sets this current

# Sense inputs on ADC1 only (ADC2 is shared with the radio).
PIN_SENSE_I = (36, 39)
PIN_SENSE_V = (34, 35)
SENSE_I_UA_FULL_SCALE = 100000
SENSE_V_MV_FULL_SCALE = 120000
PIN_BATTERY = 33
BATTERY_MV_FULL_SCALE = 9900

PIN_BUTTONS = (13, 14, 27, 23)   # POWER/STOP, MODE, UP, DOWN; to ground, pull-up
I2C_ID = 0
PIN_SDA = 21
PIN_SCL = 22
OLED_ADDR = 0x3C

COMPLIANCE_MV = 80000
# Electrode watchdog thresholds (docs/watchdog.md; project choices). Any name of
# ustim.core.watchdog.DEFAULTS may be set here; omitted ones keep the default.
WATCHDOG = {"open_pct": 50, "collapse_pct": 75, "open_ohm": 25000, "high_ohm": 12000,
            "short_ohm": 100, "high_pct": 200, "clear_pct": 160, "oc_margin_ua": 2000,
            "oc_pct": 15, "idle_ua": 500}
LIMITS = {"max_peak_ua": 80000}
