# Board loader on both runtimes. Broken boards are made from the real ones by
# moving their own pins around, so no pin number is written outside boards/.
import hostpaths  # noqa: F401  (boards/ on MicroPython)
from boards import esp32_devkitc, pico
from dualcheck import eq, raises, true
from ustim import board

_DELETE = object()


class _Mod:
    pass


def _variant(src, **changes):
    m = _Mod()
    for name in dir(src):
        if name.isupper():
            setattr(m, name, getattr(src, name))
    for name in changes:
        if changes[name] is _DELETE:
            delattr(m, name)
        else:
            setattr(m, name, changes[name])
    return m


def _has(found, *words):
    for line in found:
        ok = True
        for w in words:
            ok = ok and w in line
        if ok:
            return True
    return False


def check_reference_boards_load():
    for mod in (pico, esp32_devkitc):
        eq(board.problems(mod), [], "%s problems", mod.NAME)
        b = board.load(mod)
        eq(b.env.max_peak_ua, 80000, "envelope from LIMITS")
        eq(b.CHANNELS, 2, "channels")
    p = board.load(pico)
    eq(p.amp_kind, "pwm", "pico amplitude by PWM")
    eq(p.output_pins(), tuple(pico.PIN_A) + tuple(pico.PIN_B) + (pico.PIN_HV_EN,)
       + tuple(pico.PIN_AMP_PWM), "outputs forced low at boot")
    eq(board.load(esp32_devkitc).amp_kind, "dac", "esp32 amplitude by DAC")


def check_every_required_field_missing_is_named():
    for name, _kind in board.REQUIRED:
        found = board.problems(_variant(pico, **{name: _DELETE}))
        true(_has(found, name, "missing"), "%s missing not reported: %r", name, found)
        e = raises(board.BoardError, board.load, _variant(pico, **{name: _DELETE}))
        true(name in str(e), "error text names %s", name)


def check_wrong_types_are_named():
    cases = (("CHANNELS", 3), ("CHANNELS", True), ("PIN_A", pico.PIN_A[:1]),
             ("PIN_HV_EN", "18"), ("PIN_BUTTONS", pico.PIN_BUTTONS[:3]),
             ("OLED_ADDR", 0x80), ("COMPLIANCE_MV", 0), ("LIMITS", None), ("NAME", ""),
             ("SENSE_I_UA_FULL_SCALE", 1.5))
    for name, value in cases:
        found = board.problems(_variant(pico, **{name: value}))
        true(_has(found, name), "%s = %r not reported: %r", name, value, found)


def check_pins_unique_per_board():
    found = board.problems(_variant(pico, PIN_HV_EN=pico.PIN_BUTTONS[2]))
    true(_has(found, "PIN_BUTTONS[2]", "also PIN_HV_EN"), "duplicate: %r", found)
    swapped = _variant(esp32_devkitc, PIN_SDA=esp32_devkitc.PIN_SCL)
    true(_has(board.problems(swapped), "PIN_SCL", "also PIN_SDA"), "SDA = SCL")
    # Pico's two peak detectors share one ADC input through the mux: allowed,
    # but not without the mux pin.
    eq(board.problems(pico), [], "muxed sense input")
    found = board.problems(_variant(pico, PIN_SENSE_V_MUX=_DELETE))
    true(_has(found, "PIN_SENSE_V"), "shared input without mux: %r", found)


def check_rp2_a_b_adjacent():
    b = tuple(a + 2 for a in pico.PIN_A)
    found = board.problems(_variant(pico, PIN_B=b))
    true(_has(found, "PIN_B[0]", "PIN_A[0] + 1"), "adjacency: %r", found)
    eq(board.problems(esp32_devkitc), [], "no adjacency rule for RMT")


def check_platform_pin_capabilities():
    found = board.problems(_variant(pico, PIN_SENSE_I=(pico.PIN_BUTTONS[0],
                                                       pico.PIN_SENSE_I[1])))
    true(_has(found, "PIN_SENSE_I[0]", "not an ADC input"), "rp2 ADC: %r", found)
    found = board.problems(_variant(pico, PIN_HV_EN=pico.PIN_BATTERY + 1))
    true(_has(found, "PIN_HV_EN", "not a usable rp2 GPIO"), "rp2 range: %r", found)
    esp = esp32_devkitc
    found = board.problems(_variant(esp, PIN_HV_EN=esp.PIN_SENSE_V[0]))
    true(_has(found, "PIN_HV_EN", "input-only"), "esp32 input-only output: %r", found)
    found = board.problems(_variant(esp, PIN_AMP_DAC=(esp.PIN_HV_EN, esp.PIN_AMP_DAC[1])))
    true(_has(found, "PIN_AMP_DAC[0]", "no DAC"), "esp32 DAC pins: %r", found)
    found = board.problems(_variant(esp, PIN_BUTTONS=(esp.PIN_SENSE_I[0],)
                                    + tuple(esp.PIN_BUTTONS[1:])))
    true(_has(found, "PIN_BUTTONS[0]", "pull-up"), "esp32 button pull-up: %r", found)
    flash_pin = board._ESP32_FLASH[0]
    found = board.problems(_variant(esp, PIN_HV_EN=flash_pin))
    true(_has(found, "PIN_HV_EN", "not a usable esp32 GPIO"), "esp32 flash pins: %r", found)
    found = board.problems(_variant(pico, PLATFORM="stm32"))
    true(_has(found, "PLATFORM"), "unknown platform: %r", found)


def check_amplitude_reference_exactly_one():
    both = _variant(pico, PIN_AMP_DAC=pico.PIN_AMP_PWM)
    true(_has(board.problems(both), "exactly one"), "both references")
    neither = _variant(pico, PIN_AMP_PWM=_DELETE)
    true(_has(board.problems(neither), "exactly one"), "no reference")
    no_hz = _variant(pico, AMP_PWM_HZ=_DELETE)
    true(_has(board.problems(no_hz), "AMP_PWM_HZ"), "PWM without frequency")


def check_limits_go_through_the_envelope():
    found = board.problems(_variant(pico, LIMITS={"max_peak_ua": 90000}))
    true(_has(found, "LIMITS", "widen"), "widening refused: %r", found)
    found = board.problems(_variant(pico, LIMITS={"max_peak_amps": 1}))
    true(_has(found, "LIMITS", "unknown"), "unknown limit: %r", found)
    lower = board.load(_variant(pico, LIMITS={"max_peak_ua": 40000, "max_tens_hz": 120}))
    eq((lower.env.max_peak_ua, lower.env.max_tens_hz), (40000, 120), "lowered")
    found = board.problems(_variant(pico, SENSE_I_UA_FULL_SCALE=60000))
    true(_has(found, "SENSE_I_UA_FULL_SCALE", "below"), "blind sense: %r", found)
    ok = board.problems(_variant(pico, SENSE_I_UA_FULL_SCALE=60000,
                                 LIMITS={"max_peak_ua": 60000}))
    eq(ok, [], "sense covers the lowered peak")
    found = board.problems(_variant(pico, COMPLIANCE_MV=150000))
    true(_has(found, "COMPLIANCE_MV"), "compliance cap: %r", found)


def check_unknown_fields_are_left_alone():
    extra = _variant(pico, WATCHDOG_LEAD_OFF_RATIO=3)
    eq(board.problems(extra), [], "later fields do not break old loaders")
