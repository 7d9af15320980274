# Display adapter: an SSD1306 128x64 on I2C through micropython-lib's `ssd1306`
# driver (on the device: `mpremote mip install ssd1306`; on the host the
# micropython-ssd1306-driver package, same SSD1306_I2C API, over the machine
# shim's I2C). The driver sets the panel up; screens draw on `fb`; flush()
# sends only changed chunks, at most BYTES_PER_FLUSH bytes of them per call
# (ustim.core.ui.refresh), so one control tick carries about 1.4 ms of bus.
#
# Each run of chunks goes out as two transactions: one command stream
# (control byte 0x00: column range, page range) and one data stream (control
# byte 0x40 and the chunks). The driver's write_cmd sends one transaction per
# command byte: six address set-ups where one does.
from micropython import const

import ssd1306
from ustim.core.ui.refresh import ChunkRefresh

BYTES_PER_FLUSH = const(48)
_SET_COL_ADDR = const(0x21)
_SET_PAGE_ADDR = const(0x22)


class Display:
    def __init__(self, i2c, addr=0x3C, width=128, height=64):
        # The driver's init sends its set-up and a blank frame: the panel then
        # shows the all-zero buffer, which `shown` starts as.
        self.drv = ssd1306.SSD1306_I2C(width, height, i2c, addr)
        # micropython-lib's SSD1306 is itself a FrameBuffer; others keep one.
        self.fb = getattr(self.drv, "framebuf", self.drv)
        self.width = width
        self.refresh = ChunkRefresh(self.drv.buffer, width, height // 8)
        self._i2c = i2c
        self._addr = addr
        self._window = bytearray((0x00, _SET_COL_ADDR, 0, width - 1, _SET_PAGE_ADDR, 0, 0))
        # Bound once: taking a bound method allocates on MicroPython, and flush()
        # runs in the control tick.
        self._send = self._send_run
        self.is_on = True

    def _send_run(self, page, col, cols, vector):
        w = self._window
        w[2] = col
        w[3] = col + cols - 1
        w[5] = page
        w[6] = page
        self._i2c.writeto(self._addr, w)
        self._i2c.writevto(self._addr, vector)

    def clear(self):
        self.refresh.clear()

    def mark(self):
        """A drawing on fb is complete: what changed may now be sent."""
        self.refresh.mark()

    def flush(self, budget=BYTES_PER_FLUSH):
        """Send changed chunks, at most `budget` bytes; returns the bytes sent."""
        if not self.is_on:
            return 0
        return self.refresh.step(self._send, budget)

    def pending(self):
        return self.refresh.pending()

    def dirty_pages(self):
        """Pages with chunks still to send (for tests and tools)."""
        return [p for p in range(len(self.refresh.dirty)) if self.refresh.dirty[p]]

    def contrast(self, value):
        self.drv.contrast(0 if value < 0 else 255 if value > 255 else value)

    def off(self):
        self.drv.poweroff()
        self.is_on = False

    def on(self):
        self.drv.poweron()
        self.is_on = True
