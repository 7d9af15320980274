# What the simulator records while it runs. The simulator appends to these
# lists; the writers in this package only read them, so a Recording can also be
# built by hand (tests, examples) or loaded from JSON.
#
# Units: pulse and amplitude times in integer us, screen/event/console times in
# integer ms, currents in integer uA. Channels are 0-based here and 1-based in
# every file a user sees (ch1, ch2), as on the device's labels.

OLED_W = 128
OLED_H = 64
FRAME_BYTES = OLED_W * OLED_H // 8

RUNTIMES = ("cpython", "micropython")
CHANNELS = 2


class Recording:
    def __init__(self, board="sim", tick_ms=10, duration_ms=0, runtime="cpython"):
        self.board = board
        self.tick_ms = tick_ms
        self.duration_ms = duration_ms
        self.runtime = runtime
        # (channel, start_us, pos_us, gap_us, neg_us, amplitude_ua, pos_pc, neg_pc):
        # the setpoint at A's rise and the charge each phase delivered (pC)
        self.pulses = []
        # (t_us, channel): A and B high together on a channel's pads
        self.overlaps = []
        # (t_us, channel, ua): each change of a channel's amplitude setpoint
        self.amplitude = []
        # (t_us, 0|1): high-voltage enable changes
        self.hv = []
        # (t_ms, screen_name, fb): 1024-byte SSD1306 frame, MONO_VLSB
        self.frames = []
        # (t_ms, text)
        self.events = []
        # (t_ms, channel, kind): each fault the firmware latched, kind its name
        # in ustim.core.channel.FAULT_NAMES ("open", "short", ...)
        self.faults = []
        # (t_ms, "in"|"out", text)
        self.console = []
        self.summary = {}

    def add_pulse(self, channel, start_us, pos_us, gap_us, neg_us, amplitude_ua,
                  pos_pc=None, neg_pc=None):
        """A pulse; its phase charges default to the setpoint's (no filter lag)."""
        self.pulses.append((channel, start_us, pos_us, gap_us, neg_us, amplitude_ua,
                            amplitude_ua * pos_us if pos_pc is None else pos_pc,
                            amplitude_ua * neg_us if neg_pc is None else neg_pc))

    def check(self):
        """Raise ValueError naming the first entry a writer cannot represent
        truthfully. Overlapping pulses on one channel are refused rather than
        drawn, because a trace that merges them would hide the very defect
        (A and B high together, or a lost idle time) it exists to show."""
        if self.runtime not in RUNTIMES:
            raise ValueError("runtime %r: expected one of %s" % (self.runtime, RUNTIMES))
        last_end = {}
        for p in sorted(self.pulses, key=_pulse_key):
            ch, start, pos, gap, neg, ua = p[:6]
            if not 0 <= ch < CHANNELS:
                raise ValueError("pulse %r: channel %r outside 0..%d"
                                 % (p, ch, CHANNELS - 1))
            if pos < 0 or gap < 0 or neg < 0 or start < 0 or ua < 0:
                raise ValueError("pulse %r: negative time or amplitude" % (p,))
            end = start + pos + gap + neg
            if ch in last_end and start < last_end[ch]:
                raise ValueError("pulse %r on channel %d starts before the previous one "
                                 "ends (%d us)" % (p, ch + 1, last_end[ch]))
            last_end[ch] = end
        for t, ch, _ua in self.amplitude:
            if not 0 <= ch < CHANNELS:
                raise ValueError("amplitude change at %d us: channel %r" % (t, ch))
        for t, v in self.hv:
            if v not in (0, 1):
                raise ValueError("hv change at %d us: value %r is not 0 or 1" % (t, v))
        for t, name, fb in self.frames:
            if len(fb) != FRAME_BYTES:
                raise ValueError("frame %r at %d ms: %d bytes, want %d"
                                 % (name, t, len(fb), FRAME_BYTES))
        for t, ch, kind in self.faults:
            if not 0 <= ch < CHANNELS or not isinstance(kind, str) or not kind:
                raise ValueError("fault at %d ms: channel %r, kind %r" % (t, ch, kind))
        for t, direction, _text in self.console:
            if direction not in ("in", "out"):
                raise ValueError("console line at %d ms: direction %r" % (t, direction))

    def pulses_by_channel(self):
        """Pulses of each channel sorted by start time: a list per channel."""
        out = [[] for _ in range(CHANNELS)]
        for p in self.pulses:
            out[p[0]].append(p)
        for lst in out:
            lst.sort(key=_pulse_key)
        return out


def _pulse_key(p):
    return (p[1], p[0])
