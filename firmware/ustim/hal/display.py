# Display adapter: an SSD1306 128x64 on I2C through micropython-lib's `ssd1306`
# driver (on the device: `mpremote mip install ssd1306`; on the host the
# micropython-ssd1306-driver package, same SSD1306_I2C API, over the machine
# shim's I2C). Screens draw on `fb`; flush() sends only changed pages, a few
# per call (ustim.core.ui.refresh), so a refresh fits inside a control tick.
from micropython import const

import ssd1306
from ustim.core.ui.refresh import PageRefresh

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
        self.refresh = PageRefresh(self.drv.buffer, width, height // 8)
        # Bound once: taking a bound method allocates on MicroPython, and flush()
        # runs in the control tick.
        self._send = self._send_page
        self._cmd = self.drv.write_cmd
        self._data = self.drv.write_data
        self.is_on = True

    def _send_page(self, page, data):
        w = self._cmd
        w(_SET_COL_ADDR)
        w(0)
        w(self.width - 1)
        w(_SET_PAGE_ADDR)
        w(page)
        w(page)
        self._data(data)

    def flush(self, max_pages=1):
        """Send at most max_pages changed pages; returns the number sent."""
        if not self.is_on:
            return 0
        return self.refresh.step(self._send, max_pages)

    def pending(self):
        return self.refresh.dirty_mask() != 0

    def contrast(self, value):
        self.drv.contrast(0 if value < 0 else 255 if value > 255 else value)

    def off(self):
        self.drv.poweroff()
        self.is_on = False

    def on(self):
        self.drv.poweron()
        self.is_on = True
