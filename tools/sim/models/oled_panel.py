"""A model of the SSD1306 controller fed with the bytes written on I2C.

It decodes the control byte of each write (0x80: one command byte, 0x00: a
command stream, 0x40: display data), follows the column / page address window
(horizontal addressing, as the ssd1306 drivers set it up) and keeps the 1024
bytes of display RAM, so tests can check what the panel would show. It sits
on the machine shim's I2C bus (I2C.attach), which charges each write its bus
time; bus_us() gives that time in us (the machine shim's figure).
"""
import machine

# Commands followed by this many argument bytes.
_ARGS = {0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0xA8: 1, 0xD3: 1, 0xDA: 1, 0xD5: 1,
         0xD9: 1, 0xDB: 1, 0x8D: 1, 0xAD: 1}


def bus_us(nbytes, hz=400000):
    """Time of one I2C write of nbytes payload bytes, in microseconds."""
    return machine.i2c_bus_us(nbytes, hz)


class Ssd1306Model:
    def __init__(self, width=128, pages=8):
        self.width = width
        self.pages = pages
        self.ram = bytearray(width * pages)
        self.col0, self.col1 = 0, width - 1
        self.page0, self.page1 = 0, pages - 1
        self.col, self.page = 0, 0
        self.on = False
        self.contrast = None
        self.data_bytes = 0
        self.commands = []
        self._cmd = None
        self._args = []

    def write(self, payload):
        payload = bytes(payload)
        if not payload:
            return
        control, rest = payload[0], payload[1:]
        if control == 0x40:
            for b in rest:
                self._data(b)
        elif control in (0x80, 0x00):
            for b in rest:
                self._command_byte(b)
        else:
            raise ValueError("unknown control byte 0x%02x" % control)

    def _command_byte(self, b):
        if self._cmd is None:
            need = _ARGS.get(b, 0)
            if need == 0:
                self._run(b, [])
            else:
                self._cmd, self._args = b, []
            return
        self._args.append(b)
        if len(self._args) == _ARGS[self._cmd]:
            cmd, args = self._cmd, self._args
            self._cmd, self._args = None, []
            self._run(cmd, args)

    def _run(self, cmd, args):
        self.commands.append((cmd, tuple(args)))
        if cmd == 0x21:
            self.col0, self.col1 = args
            self.col = self.col0
        elif cmd == 0x22:
            self.page0, self.page1 = args[0] & 7, args[1] & 7
            self.page = self.page0
        elif cmd == 0x81:
            self.contrast = args[0]
        elif cmd == 0xAE:
            self.on = False
        elif cmd == 0xAF:
            self.on = True

    def _data(self, b):
        self.ram[self.page * self.width + self.col] = b
        self.data_bytes += 1
        if self.col < self.col1:
            self.col += 1
            return
        self.col = self.col0
        self.page = self.page + 1 if self.page < self.page1 else self.page0


class _Counting:
    def __init__(self, model, writes):
        self.model = model
        self.writes = writes

    def write(self, data):
        self.model.write(data)
        self.writes.append(len(data))


def attach(i2c, addr=0x3C):
    """A new model at `addr` on a machine-shim I2C bus. Returns (model,
    writes) where writes lists each write's payload length."""
    model = Ssd1306Model()
    writes = []
    i2c.attach(addr, _Counting(model, writes))
    return model, writes
