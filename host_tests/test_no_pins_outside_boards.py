"""Every pin number lives in boards/*.py: a lint-style scan of the firmware,
the tools (except the machine shims) and the tests for pin numbers written as
literals where a pin is named or made."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A digit right where a pin is given: Pin(2), ADC(26), PIN_X = 4 / (2, 6),
# pin=5, sda=21, set_base=Pin(2)...
PATTERNS = (
    re.compile(r"\b(?:Pin|ADC|PWM|DAC|Signal)\(\s*\d"),
    re.compile(r"\bPIN_\w*\s*=\s*[(\[]?\s*\d"),
    re.compile(r"\b(?:pin|pins|gpio|sda|scl|tx|rx|set_base|out_base|in_base|sideset_base|jmp_pin|pin_\w+)\s*=\s*[(\[]?\s*\d",
               re.IGNORECASE),
)


def _scanned_files():
    for top in ("firmware", "tools", "host_tests"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] == ("tools", "shims"):
                continue
            yield rel, path


def pin_literals(text):
    hits = []
    for lineno, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        for pattern in PATTERNS:
            m = pattern.search(code)
            if m:
                hits.append((lineno, m.group(0).strip()))
                break
    return hits


def test_scanner_catches_pin_literals():
    # Built by joining so this file itself stays clean.
    d = "%d"
    samples = [t % 2 for t in (
        "p = machine.Pin(" + d + ", machine.Pin.OUT)", "adc = ADC(" + d + "6)",
        "PIN_HV_EN = " + d, "PIN_A = (" + d + ", 6)", "i2c = I2C(0, sda=" + d + "1)",
        "sm = StateMachine(0, prog, set_base=Pin(" + d + "))", "PWM(Pin(" + d + "))",
        "x = RMT(0, pin=" + d + ")", "bus = I2C(0, scl=" + d + ")")]
    for s in samples:
        assert pin_literals(s), s
    clean = ["p = Pin(board.PIN_A[0], Pin.OUT)", "adc = ADC(Pin(b.PIN_SENSE_I[ch]))",
             "duty = 65535 * 2", "timeout = 5000", "# Pin(" + "2) in a comment is fine"]
    for s in clean:
        assert not pin_literals(s), s


def test_no_pin_number_outside_boards():
    offenders = []
    scanned = 0
    for rel, path in _scanned_files():
        scanned += 1
        for lineno, hit in pin_literals(path.read_text()):
            offenders.append("%s:%d: %s" % (rel, lineno, hit))
    assert scanned > 10
    assert not offenders, "pin numbers belong in boards/*.py:\n" + "\n".join(offenders)


def test_board_files_do_name_pins():
    # The scan would be vacuous if the patterns missed how boards name pins.
    for board in sorted((ROOT / "boards").glob("*.py")):
        assert len(pin_literals(board.read_text())) >= 10, board.name
