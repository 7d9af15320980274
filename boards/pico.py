# Raspberry Pi Pico (RP2040) reference board. Copied to the device as board.py.
# Every pin number in the project lives in a board file; the fields are
# described in docs/boards.md. Wiring: docs/wiring-pico.md.
NAME = "pico"
PLATFORM = "rp2"
CHANNELS = 2

# H-bridge logic inputs per channel. A and B of a channel must be adjacent
# GPIOs (B = A + 1): one PIO state machine drives both with one `set` pin group.
PIN_A = (2, 6)
PIN_B = (3, 7)
PIN_HV_EN = 18            # high-voltage converter enable, active high
PIN_AMP_PWM = (8, 9)      # amplitude reference: PWM into an RC filter
AMP_PWM_HZ = 50000
# The RC filter between the PWM pin and the sink's reference, two stages
# ((R1 ohm, C1 nF), (R2 ohm, C2 nF)): poles near 600 Hz and 4.2 kHz, PWM
# ripple about 0.1 % of full scale, settled (5 time constants) in 1.5 ms.
AMP_RC = ((10000, 10), (10000, 10))
AMP_FULL_SCALE_UA = 100000  # duty 100 % sets this current in the output stage

# Sense: delivered current (shunt amplifier) per channel, peak electrode voltage
# (peak detector) per channel through a 2:1 analog mux on one ADC input.
PIN_SENSE_I = (26, 27)
PIN_SENSE_V = (28, 28)
PIN_SENSE_V_MUX = 22      # low selects channel 1's peak detector, high channel 2's
SENSE_I_UA_FULL_SCALE = 100000   # read_u16() == 65535 means this current
SENSE_V_MV_FULL_SCALE = 120000   # read_u16() == 65535 means this voltage
PIN_BATTERY = 29          # VSYS / 3 on the Pico
BATTERY_MV_FULL_SCALE = 9900

PIN_BUTTONS = (12, 13, 14, 15)   # POWER/STOP, MODE, UP, DOWN; to ground, pull-up
I2C_ID = 0
PIN_SDA = 16
PIN_SCL = 17
OLED_ADDR = 0x3C

COMPLIANCE_MV = 80000     # output stage compliance voltage
# Electrode watchdog thresholds (docs/watchdog.md; project choices). Any name of
# ustim.core.watchdog.DEFAULTS may be set here; omitted ones keep the default.
WATCHDOG = {"open_pct": 50, "collapse_pct": 75, "open_ohm": 25000, "high_ohm": 12000,
            "short_ohm": 100, "high_pct": 200, "clear_pct": 160, "oc_margin_ua": 2000,
            "oc_pct": 15, "idle_ua": 500}
# A board may lower envelope limits (never raise them): ustim.core.limits names.
LIMITS = {"max_peak_ua": 80000}
