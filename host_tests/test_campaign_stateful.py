"""Safety campaign, stateful: hypothesis drives the whole firmware App on the
simulated board with the electrode model through random sequences of button
presses and holds, console lines (valid commands and junk), electrode events
and time jumps. After every step the invariants are checked from what the
board emitted (host_tests/campaign_rig.py):

- every pulse inside the envelope (limits.check on a spec rebuilt from the
  pulse's widths, the time to the next pulse of its train and its amplitude,
  at the electrode area of the settings);
- A and B never high together: successive pulses of a channel never overlap;
- no amplitude rise beyond the ramp/slew bound of the channel's limit;
- no pulse starts while its channel is OFF, PAUSED or FAULT (or the firmware
  is down);
- the dose counts exactly the pulses the board emitted in the session;
- the battery rules: below the start level a start from OFF is refused, and
  at the stop level every channel is OFF (or FAULT) within 2 s.

Each sequence boots with the pain diary, the channel lock and the skin
reminder on or off, so random keys also pass through the pain, placement and
skin screens and the key lock chord.

The figures (sequences, steps, ticks, pulses) go to out/campaign/stateful.json.
"""

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from campaign_rig import Rig
from tools.sim.run import BATTERY_EMPTY_MV, BATTERY_FULL_MV
from ustim.core import channel as C
from ustim.core import limits
from ustim.core import settings as S
from ustim.core import usage_log as U
from ustim.core.buttons import B_DOWN, B_MODE, B_POWER, B_UP
from ustim.core.programs import PRESETS

OUT = Path(__file__).resolve().parent.parent / "out" / "campaign"
# 300 keep make test inside CI's 15 minutes (some 1.8 million ticks of the
# device path); CAMPAIGN_EXAMPLES=N runs more.
EXAMPLES = int(os.environ.get("CAMPAIGN_EXAMPLES", "300"))
STEPS = 45
TOTALS = {"sequences": 0, "steps": 0, "ticks": 0, "pulses": 0, "cut_pulses": 0,
          "amp_changes": 0, "dose_checks": 0, "boots": 0, "stimulating_ticks": 0, "faults": 0,
          "console_lines": 0, "button_actions": 0, "electrode_events": 0, "time_jumps": 0,
          "chords": 0, "battery_changes": 0, "battery_stops": 0, "pain_frames": 0,
          "placement_frames": 0, "skin_frames": 0, "keys_locked_steps": 0, "menu_starts": 0}

PIDS = [p.pid for p in PRESETS]
CHANS = st.sampled_from(["1", "2", "all", "0", "3", "x"])
MA = st.sampled_from(["0", "1", "5", "12.5", "20", "35", "50", "80", "81", "-3", "1e3", "7.1234"])
VALID = st.one_of(
    st.tuples(st.sampled_from(["start", "stop", "pause", "resume", "up", "down", "clear"]),
              CHANS).map(" ".join),
    st.tuples(st.just("select"), CHANS, st.sampled_from(PIDS + ["nope"])).map(" ".join),
    st.tuples(st.just("amp"), CHANS, MA).map(" ".join),
    st.tuples(st.just("timer"), st.sampled_from(["1", "5", "60", "61", "0"])).map(" ".join),
    st.tuples(st.just("inject"), CHANS,
              st.sampled_from(["open", "short", "overcurrent", "sense", "internal", "x"])
              ).map(" ".join),
    st.sampled_from(["status", "help", "version", "programs", "log 3", "imp 1", "selftest",
                     "set 1 freq_hz=150 phase_us=400 burst_pulses=10 burst_hz=2",
                     "set 2 kind=ems freq_hz=50 phase_us=300 on_s=5 off_s=5 ramp_s=2",
                     "set 1 freq_hz=151", "set 2 phase_us=49", "lock on", "lock off",
                     "lock", "lock 1", "clock 1767225600", "clock 5", "log 4 2", "log 2 x"]),
)
JUNK = st.one_of(st.text(max_size=60), st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
                 st.text(alphabet="amp 0123456789.-\t", max_size=200))
BUTTONS = st.sampled_from([B_POWER, B_MODE, B_UP, B_DOWN])
ELECTRODE = st.sampled_from(["liftoff", "peel", "dry", "short", "reattach", "stage_fault"])


class AppCampaign(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.rig = None

    @initialize(seed=st.integers(1, 10000), diary=st.booleans(), lock=st.booleans(),
                skin_h=st.sampled_from([0, 4]), pad10=st.sampled_from([0, 30]))
    def boot(self, seed, diary, lock, skin_h, pad10):
        # The knee settings as a user left them, and pads that may be due for
        # the skin reminder: the pain and skin screens come up among the keys.
        def knee(sim):
            st_, _ = S.load(sim.storage)
            for name, value in (("diary", diary), ("lock", lock), ("skin_h", skin_h)):
                st_.set(name, value)
            S.save(sim.storage, st_)
            log = U.UsageLog(sim.storage)
            log.open()
            log.append(0, 1, 0, 1800, 20000, 20000, 1, 0, U.END_TIMER, U.NO_PAIN, U.NO_PAIN,
                       pad10)
        self.rig = Rig(seed=seed, before_boot=knee)
        TOTALS["sequences"] += 1

    def _step(self):
        TOTALS["steps"] += 1

    @rule(ch=st.sampled_from(["1", "2"]), pid=st.sampled_from(PIDS), ma=st.integers(1, 80))
    def run_program(self, ch, pid, ma):
        # The common path a user takes, so sequences reach running channels.
        for line in ("select %s %s" % (ch, pid), "amp %s %d" % (ch, ma), "start %s" % ch):
            self.rig.console(line)
        TOTALS["console_lines"] += 3
        self._step()

    @rule(line=st.one_of(VALID, VALID, JUNK), ticks=st.integers(1, 20))
    def console_line(self, line, ticks):
        self.rig.console(line, ticks)
        TOTALS["console_lines"] += 1
        self._step()

    @rule(button=BUTTONS, ticks=st.sampled_from([3, 5, 15, 15, 15, 30, 60, 120, 250]))
    def button(self, button, ticks):
        # 30-50 ms is a bounce, 150 ms a press, >= 1 s a hold (long press).
        self.rig.press(button, ticks)
        TOTALS["button_actions"] += 1
        self._step()

    @rule(program=st.integers(0, 7), ups=st.integers(0, 6), answer=st.booleans())
    def menu_start(self, program, ups, answer):
        # From the menu as a person does it: a program (its placement screen,
        # MODE), then Start (the pain screen when the diary is on: UP a few
        # times, then MODE to save or MODE held to skip).
        rig = self.rig
        rig.press(B_MODE, 150)
        for b in (B_DOWN, B_DOWN, B_MODE) + (B_DOWN,) * program + (B_MODE,):
            rig.press(b, 15)
        rig.run(40)             # the placement screen drawn, then MODE
        rig.press(B_MODE, 15)
        rig.press(B_MODE, 150)
        rig.press(B_MODE, 15)
        for _ in range(ups):
            rig.press(B_UP, 15)
        rig.press(B_MODE, 15 if answer else 150)
        TOTALS["menu_starts"] += 1
        self._step()

    @rule(ticks=st.sampled_from([5, 30, 150, 210, 260]))
    def chord(self, ticks):
        # UP and DOWN together: 210 ticks and more lock or unlock the keys.
        sim = self.rig.sim
        if sim.up:
            sim.hold(B_UP, True)
            sim.hold(B_DOWN, True)
        self.rig.run(ticks)
        sim.hold(B_UP, False)
        sim.hold(B_DOWN, False)
        self.rig.run(3)
        TOTALS["chords"] += 1
        self._step()

    @rule(pct=st.sampled_from([100, 60, 12, 9, 4, 3, 1]))
    def battery(self, pct):
        rig = self.rig
        span = BATTERY_FULL_MV - BATTERY_EMPTY_MV
        rig.sim.battery_mv = BATTERY_EMPTY_MV + (pct * span + 99) // 100
        rig.run(110)            # read once a second
        TOTALS["battery_changes"] += 1
        if not rig.sim.up:
            self._step()
            return
        if pct < limits.BATTERY_START_PCT:
            before = rig.states()
            rig.console("start all", 3)
            for ch in range(rig.n):
                if before[ch] == C.OFF and rig.states()[ch] != C.OFF:
                    rig._fail("ch%d started at battery %d%%" % (ch + 1, pct))
        if pct <= limits.BATTERY_STOP_PCT:
            rig.run(100)
            if rig.sim.up and rig.sim.app is not None:
                left = [s for s in rig.states() if s not in (C.OFF, C.FAULT)]
                if left:
                    rig._fail("battery %d%%: channels still %r" % (pct, rig.states()))
                TOTALS["battery_stops"] += 1
        self._step()

    @rule(ch=st.integers(0, 1), kind=ELECTRODE, over_ms=st.integers(10, 20000))
    def electrode(self, ch, kind, over_ms):
        self.rig.electrode(ch, kind, over_ms)
        self.rig.run(1)
        TOTALS["electrode_events"] += 1
        self._step()

    @rule(ticks=st.integers(1, 500))
    def time_jump(self, ticks):
        self.rig.run(ticks)
        TOTALS["time_jumps"] += 1
        self._step()

    @invariant()
    def safe(self):
        if self.rig is not None:
            self.rig.check()
            app = self.rig.sim.app
            if app is not None and app.menu.keys_locked:
                TOTALS["keys_locked_steps"] += 1

    def teardown(self):
        rig = self.rig
        if rig is None:
            return
        rig.flush()
        for k in ("ticks", "pulses", "cut_pulses", "amp_changes", "dose_checks", "boots",
                  "stimulating_ticks"):
            TOTALS[k] += rig.stats[k]
        TOTALS["faults"] += sum(1 for _, text in rig.sim.rec.events if " FAULT " in text)
        for name in ("pain", "placement", "skin"):
            TOTALS[name + "_frames"] += sum(1 for f in rig.sim.rec.frames if f[1] == name)
        rig.check()


AppCampaign.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
    derandomize=True, suppress_health_check=list(HealthCheck))
TestAppCampaign = AppCampaign.TestCase


def test_campaign_figures_written():
    # Runs after TestAppCampaign (file order): records what the campaign did.
    if TOTALS["sequences"] == 0:
        return        # the stateful test was deselected
    assert TOTALS["sequences"] >= EXAMPLES
    assert TOTALS["pulses"] > 0 and TOTALS["faults"] > 0
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "stateful.json").write_text(json.dumps(TOTALS, indent=1) + "\n")
    print("stateful campaign:", TOTALS)
