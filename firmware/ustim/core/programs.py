# Therapy programs: the presets of docs/safety-limits.md and the checks every program
# (preset or custom) passes before a channel may run it.
#
# A program describes how a channel's pulses and amplitude evolve over a
# session; core/sequencer.py turns it into a PulseSpec and an amplitude scale
# each control tick. All times are integers (us for pulses, ms for cycles) so
# both runtimes compute the same schedule.
from micropython import const

from ustim.core.limits import Refusal, check_duty, check_session, check_spec
from ustim.core.spec import PulseSpec

NAME_MAX = const(16)   # characters that fit one line of the 128x64 OLED

# Program-structure bounds (project choice): they keep every sequencer product
# (per-mille ramps, sweep steps) below 2**30, so MicroPython never allocates a
# big int in the per-tick path, and they reject nonsense programs.
MAX_CYCLE_MS = const(3600000)   # on or off phase, alternation step: <= 60 min
MAX_RAMP_MS = const(60000)      # contraction ramp: <= 60 s
MIN_STEP_MS = const(1000)       # alternation step, half a sweep: >= 1 s
MAX_SWEEP_MS = const(120000)    # a whole sweep (up and down): <= 2 min
DEFAULT_GAP_US = const(50)      # project choice: both bridge inputs low between phases


def period_us(hz):
    # Rounded up so a program never runs faster than its nominal frequency.
    return (1000000 + hz - 1) // hz


class Program:
    """One therapy program. hz is the pulse rate; optional features:
    burst_n > 1: groups of burst_n pulses at hz, burst_hz groups per second;
    alt_hz, alt_ms: alternate between hz and alt_hz every alt_ms;
    sweep_hz, sweep_ms: sweep hz -> sweep_hz -> hz (triangle) every sweep_ms;
    on_ms, off_ms: contraction cycle (0, 0 = continuous: TENS only, EMS must
    cycle); ramps are inside on_ms.
    """

    def __init__(self, pid, name, ems, phase_us, hz, session_s, gap_us=DEFAULT_GAP_US,
                 burst_n=1, burst_hz=0, alt_hz=0, alt_ms=0, sweep_hz=0, sweep_ms=0,
                 on_ms=0, off_ms=0, ramp_up_ms=0, ramp_down_ms=0, num=0, place=0):
        self.pid = pid
        self.place = place         # where the pads go: index in PLACEMENTS (0: not given)
        # Small number for binary logs (one byte): presets 1-8, custom 100 up.
        self.num = num
        self.name = name
        self.ems = ems
        self.phase_us = phase_us
        self.gap_us = gap_us
        self.hz = hz
        self.burst_n = burst_n
        self.burst_hz = burst_hz
        self.alt_hz = alt_hz
        self.alt_ms = alt_ms
        self.sweep_hz = sweep_hz
        self.sweep_ms = sweep_ms
        self.on_ms = on_ms
        self.off_ms = off_ms
        self.ramp_up_ms = ramp_up_ms
        self.ramp_down_ms = ramp_down_ms
        self.session_s = session_s

    def kind(self):
        return "EMS" if self.ems else "TENS"

    def cycles(self):
        return self.on_ms > 0

    def fill_spec(self, spec, hz):
        """Set spec to this program's pulse shape at pulse rate hz."""
        burst_period = period_us(self.burst_hz) if self.burst_n > 1 else 0
        return spec.set(self.phase_us, self.gap_us, period_us(hz), self.burst_n,
                        burst_period, self.ems)

    def __repr__(self):
        return "Program(%r %r %s %d us %d Hz)" % (
            self.pid, self.name, self.kind(), self.phase_us, self.hz)


# Which program field a refusal from limits.check_spec is about.
_SPEC_FIELDS = (
    ("phase width", "phase_us"),
    ("net charge", "phase_us"),
    ("interphase gap", "gap_us"),
    ("pulse length within period", "phase_us"),
    ("burst pulses", "burst_pulses"),
    ("burst period", "burst_hz"),
    ("pulse period", "freq_hz"),
)


def _spec_field(limit):
    for prefix, field in _SPEC_FIELDS:
        if limit.startswith(prefix):
            return field
    return "freq_hz"


def _check_hz(env, ems, hz, limit):
    max_hz = env.max_ems_hz if ems else env.max_tens_hz
    if hz < env.min_hz:
        return Refusal(limit, hz, env.min_hz, "Hz")
    if hz > max_hz:
        return Refusal(limit, hz, max_hz, "Hz")
    return None


def _check_range(value, lo, hi, limit, unit):
    if value < lo:
        return Refusal(limit, value, lo, unit)
    if value > hi:
        return Refusal(limit, value, hi, unit)
    return None


def check_program(env, prog):
    """None when every pulse spec, duty cycle and the session length of the
    program are inside the envelope, else (field, Refusal). Field names are
    those of programs.json (docs/programs.md)."""
    if not isinstance(prog.name, str) or not 0 < len(prog.name) <= NAME_MAX:
        n = len(prog.name) if isinstance(prog.name, str) else 0
        return "name", Refusal("name length", n, NAME_MAX, "characters")
    rates = [("freq_hz", prog.hz, "frequency")]
    if prog.alt_hz or prog.alt_ms:
        rates.append(("alt_hz", prog.alt_hz, "alternate frequency"))
        r = _check_range(prog.alt_ms, MIN_STEP_MS, MAX_CYCLE_MS, "alternation step", "ms")
        if r is not None:
            return "alt_s", r
    if prog.sweep_hz or prog.sweep_ms:
        if len(rates) > 1:
            return "sweep_hz", Refusal("rate changes (alternation and sweep)", 2, 1, "kinds")
        rates.append(("sweep_hz", prog.sweep_hz, "sweep frequency"))
        r = _check_range(prog.sweep_ms, 2 * MIN_STEP_MS, MAX_SWEEP_MS, "sweep cycle", "ms")
        if r is not None:
            return "sweep_s", r
    for field, hz, limit in rates:
        r = _check_hz(env, prog.ems, hz, limit)
        if r is not None:
            return field, r
    r = _check_range(prog.burst_n, 1, env.max_burst_n, "burst pulses", "pulses")
    if r is not None:
        return "burst_pulses", r
    if prog.burst_n > 1:
        # The slowest pulse rate gives the longest burst; it must fit its group.
        slowest = prog.hz
        for _, hz, _ in rates:
            slowest = min(slowest, hz)
        r = _check_range(prog.burst_hz, env.min_hz, max(env.min_hz, slowest // prog.burst_n),
                         "burst rate", "Hz")
        if r is not None:
            return "burst_hz", r
    # Every pulse spec the program can produce lies between its slowest and
    # fastest rate, so checking the rate extremes checks them all.
    spec = PulseSpec()
    for field, hz, _ in rates:
        r = check_spec(env, prog.fill_spec(spec, hz))
        if r is not None:
            f = _spec_field(r.limit)
            return (field if f == "freq_hz" else f), r
    if prog.ems or prog.on_ms or prog.off_ms:
        duty = check_duty(env, prog.ems, prog.on_ms, prog.off_ms, prog.ramp_up_ms,
                          prog.ramp_down_ms)
        if duty is not None and duty.limit == "contraction on time":
            return "on_s", duty
        if duty is not None and duty.limit == "rest off time":
            return "off_s", duty
        # Each contraction starts from zero amplitude: it rises no faster than
        # a session start does (docs/safety-limits.md start-up ramp; project choice here).
        r = _check_range(prog.ramp_up_ms, env.min_ramp_ms, MAX_RAMP_MS, "ramp up", "ms")
        if r is not None:
            return "ramp_up_s", r
        r = _check_range(prog.ramp_down_ms, 0, MAX_RAMP_MS, "ramp down", "ms")
        if r is not None:
            return "ramp_down_s", r
        if duty is not None:
            # Ramps longer than the contraction: blame the ramp that overflows it.
            return ("ramp_up_s" if prog.ramp_up_ms > prog.on_ms else "ramp_down_s"), duty
        for field, value, limit in (("on_s", prog.on_ms, "contraction on time"),
                                    ("off_s", prog.off_ms, "rest off time")):
            if value > MAX_CYCLE_MS:
                return field, Refusal(limit, value, MAX_CYCLE_MS, "ms")
    r = check_session(env, prog.session_s)
    if r is not None:
        return "minutes", r
    return None


_MIN = const(60)

# Where the pads go, as the placement screen shows it (16 characters a line,
# at most 6 lines); drawn in docs/images/placement-*.png (tools/dev/draw_placement.py).
PLACE_KNEE = const(1)
PLACE_QUAD = const(2)
PLACEMENTS = (
    (),
    # TENS for knee pain: pads over or around the painful site (Johnson 2014,
    # TENS: research to support clinical practice, Oxford University Press);
    # the knee OA trial cited for conventional TENS put its two channels around
    # the knee (Vance 2012, Phys Ther 92:898). The two pairs named (either side
    # of the joint line, above and below the patella) are the project's
    # examples of "around the knee".
    ("Around the sore", "knee: pads on", "inner and outer", "joint line, or",
     "above and below", "the kneecap"),
    # Quadriceps NMES: one pad over the vastus medialis motor point (distal,
    # medial thigh; Gobbo 2014, J Neuroeng Rehabil 11:17, motor point map of
    # the quadriceps), one over the proximal anterior thigh (Stevens-Lapsley
    # 2012, Phys Ther 92:210, post-TKA NMES: proximal and distal quadriceps).
    ("Pad 1: inner", "thigh just above", "the knee (VM", "motor point)", "Pad 2: upper",
     "front of thigh"),
)

# The presets of docs/safety-limits.md, in menu order. Ids are short strings for the
# console and programs.json; names fit the OLED. Sessions: 30 min TENS, EMS by
# its contraction count. Interphase gap DEFAULT_GAP_US everywhere (project choice).
PRESETS = (
    # Conventional TENS 80-150 Hz (100 typical), 100-200 us, 18-45 min:
    # Syst Rev 2017 doi 10.1186/s13643-017-0532-5; Vance 2012; Pietrosimone 2009.
    Program("tens", "Conventional", False, 200, 100, 30 * _MIN, num=1, place=PLACE_KNEE),
    # Acupuncture-like TENS 2-4 Hz, 200-250 us: Law & Cheing 2004, J Rehabil Med
    # 36:220. 30 min: project choice within the 20-30 min of the table.
    Program("acu", "Acupuncture 2Hz", False, 250, 2, 30 * _MIN, num=2, place=PLACE_KNEE),
    # Burst TENS: 2 bursts/s of 7 pulses at 100 Hz (70 ms): Enraf-Nonius / Implox
    # manual. 200 us and 30 min: project choice.
    Program("burst", "Burst 2x7@100Hz", False, 200, 100, 30 * _MIN, burst_n=7, burst_hz=2, num=3,
            place=PLACE_KNEE),
    # Alternating 2 Hz / 100 Hz every 3 s, 30 min: Law & Cheing 2004. 200 us:
    # project choice.
    Program("alt", "Alt 2/100Hz", False, 200, 2, 30 * _MIN, alt_hz=100, alt_ms=3000, num=4,
            place=PLACE_KNEE),
    # Modulated TENS, 80 Hz base swept to 120 Hz, 30 min: Enraf-Nonius IFU.
    # 150 us, and a 6 s sweep (3 s up, 3 s down): project choice.
    Program("mod", "Modulated 80-120", False, 150, 80, 30 * _MIN, sweep_hz=120,
            sweep_ms=6000, num=5, place=PLACE_KNEE),
    # NMES quadriceps in knee OA: 50 Hz, 250-300 us, 10 s on / 50 s off, 15-20
    # contractions: Physiotherapy Canada 2017;69(5) Table 11. 20 contractions =
    # 20 min. The source gives no ramps: 2 s up (the envelope's start-up ramp)
    # and 1 s down are project choice.
    Program("oa", "NMES knee OA", True, 300, 50, 20 * _MIN, on_ms=10000, off_ms=50000,
            ramp_up_ms=2000, ramp_down_ms=1000, num=6, place=PLACE_QUAD),
    # NMES after total knee replacement: 50 Hz, 250 us, 15 s on / 45 s off, 3 s
    # ramp up, 15 contractions = 15 min: Sports Health 2021;13(2) Table 5;
    # Stevens-Lapsley. 1 s ramp down: project choice (the source gives none).
    Program("tka", "NMES post-TKA", True, 250, 50, 15 * _MIN, on_ms=15000, off_ms=45000,
            ramp_up_ms=3000, ramp_down_ms=1000, num=7, place=PLACE_QUAD),
    # NMES short cycle: 50 Hz, 300-400 us (350), 5 s on / 10 s off, 2 s up / 1 s
    # down, 15 min: Feil, in Sports Health 2021.
    Program("short", "NMES short cyc", True, 350, 50, 15 * _MIN, on_ms=5000, off_ms=10000,
            ramp_up_ms=2000, ramp_down_ms=1000, num=8, place=PLACE_QUAD),
)


def find(pid, programs=PRESETS):
    for prog in programs:
        if prog.pid == pid:
            return prog
    return None
