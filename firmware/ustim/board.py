# Board loader: checks a board module (boards/*.py, copied to the device as
# board.py) before anything drives a pin from it, and builds the board's
# safety envelope. Every field is described in docs/boards.md.
#
# A board that is wrong in any way is refused as a whole, with every problem
# named: a half-right board could put a current sink on a button pin. Fields
# this loader does not know (added for later features) are left alone.
from ustim.core import limits


class BoardError(ValueError):
    pass


# field, kind. Kinds: str, count, pos (int > 0), nat (int >= 0), pin, pins
# (one per channel), buttons (4 pins), addr (7-bit I2C address), dict.
REQUIRED = (
    ("NAME", "str"),
    ("PLATFORM", "str"),
    ("CHANNELS", "count"),
    ("PIN_A", "pins"),
    ("PIN_B", "pins"),
    ("PIN_HV_EN", "pin"),
    ("AMP_FULL_SCALE_UA", "pos"),
    ("PIN_SENSE_I", "pins"),
    ("PIN_SENSE_V", "pins"),
    ("SENSE_I_UA_FULL_SCALE", "pos"),
    ("SENSE_V_MV_FULL_SCALE", "pos"),
    ("PIN_BATTERY", "pin"),
    ("BATTERY_MV_FULL_SCALE", "pos"),
    ("PIN_BUTTONS", "buttons"),
    ("I2C_ID", "nat"),
    ("PIN_SDA", "pin"),
    ("PIN_SCL", "pin"),
    ("OLED_ADDR", "addr"),
    ("COMPLIANCE_MV", "pos"),
    ("LIMITS", "dict"),
)
# Exactly one amplitude reference: PWM into an RC filter, or a DAC.
OPTIONAL = (
    ("PIN_AMP_PWM", "pins"),
    ("AMP_PWM_HZ", "pos"),
    ("PIN_AMP_DAC", "pins"),
    ("PIN_SENSE_V_MUX", "pin"),
    ("BATTERY_START_PCT", "nat"),
    ("BATTERY_STOP_PCT", "nat"),
    ("USAGE_LOG_SLOTS", "pos"),
)
BUTTONS = 4                 # POWER/STOP, MODE, UP, DOWN
MAX_COMPLIANCE_MV = 100000  # project choice: 100 V, the open-circuit figure of commercial units

# GPIO facts per platform (RP2040 and ESP32 datasheets).
_ESP32_MISSING = (20, 24, 28, 29, 30, 31)
_ESP32_FLASH = (6, 7, 8, 9, 10, 11)       # wired to the SPI flash on every module
_ESP32_INPUT_ONLY = (34, 35, 36, 37, 38, 39)


def _gpio_ok(platform, pin):
    if platform == "rp2":
        return 0 <= pin <= 29
    return 0 <= pin <= 39 and pin not in _ESP32_MISSING and pin not in _ESP32_FLASH


def _adc_ok(platform, pin):
    if platform == "rp2":
        return 26 <= pin <= 29
    return 32 <= pin <= 39    # ADC1 only: ADC2 is unusable while the radio runs


def _output_ok(platform, pin):
    return platform != "esp32" or pin not in _ESP32_INPUT_ONLY


def _dac_ok(platform, pin):
    return platform == "esp32" and pin in (25, 26)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _check_kind(name, kind, value, channels, out):
    if kind == "str":
        ok = isinstance(value, str) and len(value) > 0
        want = "a non-empty string"
    elif kind == "count":
        ok = _is_int(value) and 1 <= value <= 2
        want = "1 or 2"
    elif kind == "pos":
        ok = _is_int(value) and value > 0
        want = "an integer > 0"
    elif kind == "nat":
        ok = _is_int(value) and value >= 0
        want = "an integer >= 0"
    elif kind == "pin":
        ok = _is_int(value) and value >= 0
        want = "a GPIO number"
    elif kind == "addr":
        ok = _is_int(value) and 0x08 <= value <= 0x77
        want = "a 7-bit I2C address (0x08-0x77)"
    elif kind == "dict":
        ok = isinstance(value, dict)
        want = "a dict of ustim.core.limits names"
    else:
        n = BUTTONS if kind == "buttons" else channels
        ok = isinstance(value, (tuple, list)) and len(value) == n
        if ok:
            for v in value:
                ok = ok and _is_int(v) and v >= 0
        want = "a tuple of %d GPIO numbers" % n
    if not ok:
        out.append("%s is %r, must be %s" % (name, value, want))
    return ok


def _pins_of(mod, name):
    v = getattr(mod, name, None)
    if v is None:
        return ()
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def problems(mod):
    """Every problem with a board module, as readable strings ([] = good)."""
    out = []
    channels = getattr(mod, "CHANNELS", 0)
    if not _is_int(channels):
        channels = 0
    good = {}
    for name, kind in REQUIRED:
        if not hasattr(mod, name):
            out.append("%s missing" % name)
            continue
        good[name] = _check_kind(name, kind, getattr(mod, name), channels, out)
    for name, kind in OPTIONAL:
        if hasattr(mod, name):
            good[name] = _check_kind(name, kind, getattr(mod, name), channels, out)
    has_pwm = hasattr(mod, "PIN_AMP_PWM")
    has_dac = hasattr(mod, "PIN_AMP_DAC")
    if has_pwm == has_dac:
        out.append("exactly one of PIN_AMP_PWM and PIN_AMP_DAC must be given")
    if has_pwm and not hasattr(mod, "AMP_PWM_HZ"):
        out.append("AMP_PWM_HZ missing (needed with PIN_AMP_PWM)")
    if out:
        return out   # the checks below need well-formed fields
    start = getattr(mod, "BATTERY_START_PCT", limits.BATTERY_START_PCT)
    stop = getattr(mod, "BATTERY_STOP_PCT", limits.BATTERY_STOP_PCT)
    if not stop < start <= 100:
        out.append("BATTERY_STOP_PCT %d must be below BATTERY_START_PCT %d, at most 100" % (
            stop, start))

    platform = mod.PLATFORM
    if platform not in ("rp2", "esp32"):
        return ["PLATFORM is %r, must be 'rp2' or 'esp32'" % platform]
    amp = "PIN_AMP_PWM" if has_pwm else "PIN_AMP_DAC"
    outputs = ("PIN_A", "PIN_B", "PIN_HV_EN", amp, "PIN_SENSE_V_MUX", "PIN_SDA", "PIN_SCL")
    analog = ("PIN_SENSE_I", "PIN_SENSE_V", "PIN_BATTERY")
    owner = {}
    for name, _kind in REQUIRED + OPTIONAL:
        if not name.startswith("PIN_"):
            continue
        for i, pin in enumerate(_pins_of(mod, name)):
            label = name if not isinstance(getattr(mod, name), (tuple, list)) else (
                "%s[%d]" % (name, i))
            if not _gpio_ok(platform, pin):
                out.append("%s = %d is not a usable %s GPIO" % (label, pin, platform))
                continue
            if name in outputs and not _output_ok(platform, pin):
                out.append("%s = %d is input-only on %s" % (label, pin, platform))
            if name in analog and not _adc_ok(platform, pin):
                out.append("%s = %d is not an ADC input on %s" % (label, pin, platform))
            if name == "PIN_AMP_DAC" and not _dac_ok(platform, pin):
                out.append("%s = %d has no DAC on %s" % (label, pin, platform))
            if name == "PIN_BUTTONS" and not _output_ok(platform, pin):
                out.append("%s = %d has no internal pull-up on %s" % (label, pin, platform))
            # One peak-detector ADC input may serve both channels through the mux.
            shared = (name == "PIN_SENSE_V" and hasattr(mod, "PIN_SENSE_V_MUX")
                      and owner.get(pin, "").startswith("PIN_SENSE_V["))
            if pin in owner and not shared:
                out.append("%s = %d is also %s" % (label, pin, owner[pin]))
            owner.setdefault(pin, label)
    if platform == "rp2":
        # One PIO state machine drives A and B as one `set` pin group.
        for i in range(channels):
            if mod.PIN_B[i] != mod.PIN_A[i] + 1:
                out.append("PIN_B[%d] = %d must be PIN_A[%d] + 1 = %d on rp2" % (
                    i, mod.PIN_B[i], i, mod.PIN_A[i] + 1))
    if len(set(mod.PIN_SENSE_V)) < channels and not hasattr(mod, "PIN_SENSE_V_MUX"):
        out.append("PIN_SENSE_V shares one input without PIN_SENSE_V_MUX")
    if mod.COMPLIANCE_MV > MAX_COMPLIANCE_MV:
        out.append("COMPLIANCE_MV %d above the %d mV project cap" % (
            mod.COMPLIANCE_MV, MAX_COMPLIANCE_MV))
    try:
        env = limits.Envelope(mod.LIMITS)
    except limits.LimitError as e:
        out.append("LIMITS: %s" % e)
        return out
    # Over-current detection must be able to see every current the envelope allows.
    if mod.SENSE_I_UA_FULL_SCALE < env.max_peak_ua:
        out.append("SENSE_I_UA_FULL_SCALE %d uA below the peak limit %d uA" % (
            mod.SENSE_I_UA_FULL_SCALE, env.max_peak_ua))
    return out


class Board:
    """The checked fields of a board module under the same names, plus
    `env` (its limits.Envelope) and `amp_kind` ("pwm" or "dac")."""

    def __init__(self, mod):
        for name, _kind in REQUIRED + OPTIONAL:
            if hasattr(mod, name):
                setattr(self, name, getattr(mod, name))
        self.module = mod
        self.env = limits.Envelope(mod.LIMITS)
        self.amp_kind = "pwm" if hasattr(mod, "PIN_AMP_PWM") else "dac"

    def output_pins(self):
        """Every pin the firmware drives as a digital output that must be low at
        boot and on any fault: H-bridge inputs, HV enable, PWM reference."""
        pins = list(self.PIN_A) + list(self.PIN_B) + [self.PIN_HV_EN]
        if self.amp_kind == "pwm":
            pins += list(self.PIN_AMP_PWM)
        return tuple(pins)


def load(mod=None):
    """Check a board module (default: the device's `board`) and return a Board.
    Raises BoardError naming every problem."""
    if mod is None:
        try:
            import board as mod
        except ImportError:
            raise BoardError(
                "no board.py on the device (deploy copies one, docs/deploy.md)") from None
    found = problems(mod)
    if found:
        raise BoardError("board %s: %s" % (getattr(mod, "NAME", "?"), "; ".join(found)))
    return Board(mod)
