# A pulse spec: the timing of one channel's charge-balanced biphasic pulses.
#
#   A (positive) ___|‾‾pos_us‾‾|__gap_us__|______________|______ ...
#   B (negative) ___|__________|__________|‾‾neg_us‾‾‾‾‾‾|______ ...
#                   ^ pulse start                        next pulse after period_us
#
# Bursts: burst_n pulses spaced period_us apart, the group repeating every
# burst_period_us. burst_n == 1 means a plain pulse train (burst_period_us unused).
# All times are integer microseconds. Specs are mutable so a sequencer can
# update one in place each tick instead of allocating a new object.


class PulseSpec:
    def __init__(self, phase_us=200, gap_us=0, period_us=10000, burst_n=1,
                 burst_period_us=0, ems=False, neg_us=-1):
        self.pos_us = 0
        self.neg_us = 0
        self.gap_us = 0
        self.period_us = 0
        self.burst_n = 1
        self.burst_period_us = 0
        self.ems = False
        self.set(phase_us, gap_us, period_us, burst_n, burst_period_us, ems, neg_us)

    def set(self, phase_us, gap_us, period_us, burst_n=1, burst_period_us=0,
            ems=False, neg_us=-1):
        # neg_us < 0 means "same as the positive phase", the only shape a single
        # current sink can balance.
        self.pos_us = phase_us
        self.neg_us = phase_us if neg_us < 0 else neg_us
        self.gap_us = gap_us
        self.period_us = period_us
        self.burst_n = burst_n
        self.burst_period_us = burst_period_us
        self.ems = ems
        return self

    def copy_from(self, other):
        return self.set(other.pos_us, other.gap_us, other.period_us, other.burst_n,
                        other.burst_period_us, other.ems, other.neg_us)

    def pulse_us(self):
        # Time from the first edge of a pulse to the last.
        return self.pos_us + self.gap_us + self.neg_us

    def cycle_us(self):
        # Length of one repeat of the pattern (one pulse, or one whole burst).
        return self.burst_period_us if self.burst_n > 1 else self.period_us

    def pulses_per_cycle(self):
        return self.burst_n if self.burst_n > 1 else 1

    def same_as(self, other):
        return (self.pos_us == other.pos_us and self.neg_us == other.neg_us
                and self.gap_us == other.gap_us and self.period_us == other.period_us
                and self.burst_n == other.burst_n
                and self.burst_period_us == other.burst_period_us
                and self.ems == other.ems)

    def __repr__(self):
        return "PulseSpec(pos=%d neg=%d gap=%d period=%d burst=%dx/%d ems=%d)" % (
            self.pos_us, self.neg_us, self.gap_us, self.period_us, self.burst_n,
            self.burst_period_us, self.ems)
