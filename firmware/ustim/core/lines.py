# Console input: bytes in as they arrive, whole lines out, one at a time, in
# order; no byte of one line is ever joined to another.
#
#   ends = q.feed(data)   take every byte of data (bytes or bytearray); returns
#                         how many line ends it held (LF, CR, or CR LF)
#   item = q.pop()        the oldest line: its text (str), or, for a line that
#                         was refused whole, its marker (LONG, ASCII, FULL);
#                         None when nothing waits
#   q.count or q.owed     something waits (two attribute loads: what the
#                         control tick checks before calling pop)
#   q.head_is(word)       the oldest line is word (bytes), and q.drop() drops
#                         it: a line the console knows by heart, unallocated
#
# A line is refused whole when it is longer than LINE_MAX (LONG), holds a byte
# that is not printable ASCII (ASCII; tab counts as a space), or does not fit
# in the queue (FULL: lines came faster than the console answers them). A
# refused line keeps its place: its marker is queued where the line would have
# been. When not even the marker fits, the refusal is owed and every later
# line is refused too until the owed ones have been answered, so answers stay
# in the order of the lines.
#
# Queue format: per line a length byte (0..LINE_MAX) and its bytes, or one
# marker byte (> LINE_MAX). A line is written in place while it arrives; its
# length byte, reserved at its first byte, is filled in at its end. Nothing is
# allocated except by pop() (the line's text).
from micropython import const

LINE_MAX = const(128)      # bytes per command line, without the line end
# Two whole lines of LINE_MAX with their length bytes: what the console must
# hold between two control ticks when lines arrive back to back (it answers
# one per tick), and what the simulator's scenarios send in one go.
IN_MAX = const(258)
LONG = const(0xF1)
ASCII = const(0xF2)
FULL = const(0xF3)
_CR = const(13)
_LF = const(10)
_TAB = const(9)
_F_LONG = const(1)
_F_ASCII = const(2)
_F_FULL = const(4)


class LineQueue:
    def __init__(self):
        self._q = bytearray(IN_MAX)
        self._head = 0
        self.count = 0           # queued bytes: whole lines and markers
        self.owed = 0            # refusals queued nowhere yet (no room for a marker)
        self.refused = 0         # lines refused FULL since boot
        self._open = False       # a line is arriving
        self._slot = -1          # its length byte's index (-1: it has none: refused)
        self._n = 0              # its bytes so far, stored or not
        self._flags = 0          # why it is refused (_F_*), 0: it is good so far
        self._after_cr = False   # swallow the LF of a CR LF pair

    def room(self):
        """Bytes a new line could still take."""
        return IN_MAX - self.count - (1 + self._n if self._open else 0)

    def _start(self):
        self._open = True
        self._n = 0
        self._flags = 0
        if self.owed or self.count >= IN_MAX:
            self._slot = -1
            self._flags = _F_FULL
        else:
            s = self._head + self.count
            self._slot = s - IN_MAX if s >= IN_MAX else s

    def feed(self, data):
        # The line's state in locals while its bytes come (an attribute costs
        # a lookup a byte); written back around _start() and _end().
        q = self._q
        ends = 0
        after_cr = self._after_cr
        is_open = self._open
        n = self._n
        flags = self._flags
        base = self._slot + 1
        room = IN_MAX - 2 - self.count
        for i in range(len(data)):
            b = data[i]
            if after_cr:
                after_cr = False
                if b == _LF:
                    continue
            if b == _CR or b == _LF:
                after_cr = b == _CR
                self._open = is_open
                self._n = n
                self._flags = flags
                self._end()
                is_open = False
                ends += 1
                continue
            if not is_open:
                self._start()
                is_open = True
                n = 0
                flags = self._flags
                base = self._slot + 1
                room = IN_MAX - 2 - self.count
            k = n
            n += 1
            if k >= LINE_MAX:
                flags |= _F_LONG
            elif b == _TAB:
                b = 32
            elif b < 32 or b > 126:
                flags |= _F_ASCII
            if flags:
                continue
            if k > room:
                flags = _F_FULL
                continue
            k += base
            q[k - IN_MAX if k >= IN_MAX else k] = b
        self._after_cr = after_cr
        self._open = is_open
        self._n = n
        self._flags = flags
        return ends

    def _end(self):
        if not self._open:
            self._start()            # an empty line
        self._open = False
        f = self._flags
        if not f:
            self._q[self._slot] = self._n
            self.count += self._n + 1
            return
        if f == _F_FULL:
            self.refused += 1
        mark = LONG if f & _F_LONG else (ASCII if f & _F_ASCII else FULL)
        if self._slot >= 0:
            self._q[self._slot] = mark
            self.count += 1
        else:
            self.owed += 1

    def head_is(self, word):
        """True when the oldest line is exactly word (bytes); allocates nothing."""
        if not self.count:
            return False
        q = self._q
        h = self._head
        if q[h] != len(word):
            return False
        for b in word:
            h = h + 1 if h + 1 < IN_MAX else 0
            if q[h] != b:
                return False
        return True

    def drop(self):
        """Drop the oldest line, unread (after head_is() said what it is)."""
        n = self._q[self._head]
        h = self._head + n + 1
        self._head = h - IN_MAX if h >= IN_MAX else h
        self.count -= n + 1

    def pop(self):
        if not self.count:
            if self.owed:
                self.owed -= 1
                return FULL
            return None
        q = self._q
        h = self._head
        n = q[h]
        h = h + 1 if h + 1 < IN_MAX else 0
        if n > LINE_MAX:
            self._head = h
            self.count -= 1
            return n
        end = h + n
        if end <= IN_MAX:
            text = bytes(q[h:end])
        else:
            end -= IN_MAX
            text = bytes(q[h:]) + bytes(q[:end])
        self._head = end if end < IN_MAX else 0
        self.count -= n + 1
        return text.decode()
