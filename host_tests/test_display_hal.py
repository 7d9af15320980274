"""hal/display.py with the ssd1306 driver over the machine shim's I2C, checked
against a model of the controller; hal/buttons.py over shim pins."""

import importlib

import machine
import pytest

from tools.sim.models import oled_panel
from ustim.core import buttons as B
from ustim.core.ui import screens

import boards.pico as pico  # noqa: E402


@pytest.fixture
def disp():
    machine.reset_state()
    display = importlib.import_module("ustim.hal.display")
    i2c = machine.I2C(pico.I2C_ID, scl=machine.Pin(pico.PIN_SCL), sda=machine.Pin(pico.PIN_SDA))
    model, writes = oled_panel.attach(i2c, pico.OLED_ADDR)
    d = display.Display(i2c, pico.OLED_ADDR)
    return d, model, writes


def _draw(d, name):
    from tools.dev import ui_samples
    m, v = ui_samples.build(name)
    screens.draw(d.fb, m, v)
    d.mark()


def test_init_turns_the_panel_on_blank(disp):
    d, model, _ = disp
    assert model.on
    assert bytes(model.ram) == bytes(1024)


def test_flush_sends_at_most_its_budget_until_the_panel_shows_the_frame(disp):
    d, model, writes = disp
    _draw(d, "home")
    start = model.data_bytes
    calls = 0
    while True:
        before = model.data_bytes
        sent = d.flush(48)
        if not sent:
            break
        calls += 1
        assert sent <= 48 and model.data_bytes - before == sent
    assert bytes(model.ram) == bytes(d.drv.buffer)
    assert not d.pending()
    lit = sum(1 for i in range(0, 1024, 16) if any(d.drv.buffer[i:i + 16]))
    assert model.data_bytes - start == 16 * lit, "only the chunks that differ are sent"
    assert calls == -(-lit // 3) or calls > lit // 3


def test_each_run_is_one_command_write_and_one_data_write(disp):
    d, model, writes = disp
    _draw(d, "home")
    del writes[:]
    sent = d.flush(48)
    # 7 bytes: the command control byte, column and page windows; then 0x40 + data.
    data = writes[1::2]
    assert all(w == 7 for w in writes[0::2]) and len(data) == len(writes) // 2
    assert sum(data) == sent + len(data), "one 0x40 control byte per data write"


def test_a_small_change_sends_only_its_chunks(disp):
    d, model, _ = disp
    from tools.dev import ui_samples
    m, v = ui_samples.build("home")
    screens.draw(d.fb, m, v)
    d.mark()
    while d.flush(1024):
        pass
    before = model.data_bytes
    v.target_ua[0] += 1000          # the amplitude line of channel 1 (page 2)
    screens.draw(d.fb, m, v)
    d.mark()
    assert d.dirty_pages() == [2]
    sent = 0
    while True:
        n = d.flush(48)
        if not n:
            break
        sent += n
    assert 0 < sent < 128 and model.data_bytes - before == sent
    assert bytes(model.ram) == bytes(d.drv.buffer)


def test_every_screen_reaches_the_panel_intact(disp):
    d, model, _ = disp
    from tools.dev import ui_samples
    for name in ui_samples.names():
        _draw(d, name)
        while d.flush(48):
            pass
        assert bytes(model.ram) == bytes(d.drv.buffer), name


def test_clear_darkens_the_frame_without_touching_the_panel(disp):
    d, model, writes = disp
    _draw(d, "home")
    while d.flush(1024):
        pass
    n = len(writes)
    d.clear()
    assert bytes(d.drv.buffer) == bytes(1024) and len(writes) == n
    d.mark()
    while d.flush(1024):
        pass
    assert bytes(model.ram) == bytes(1024)


def test_off_on_and_contrast(disp):
    d, model, _ = disp
    d.contrast(300)
    assert model.contrast == 255
    d.off()
    assert not model.on
    _draw(d, "home")
    assert d.flush(48) == 0         # nothing is sent while the panel is off
    d.on()
    assert model.on and d.flush(48) > 0


def test_button_pins_are_inputs_with_pull_up_and_active_low():
    machine.reset_state()
    hb = importlib.import_module("ustim.hal.buttons")
    pins = hb.from_board(pico)
    for pid in pico.PIN_BUTTONS:
        p = machine.pin(pid)
        assert p.mode() == machine.Pin.IN and p.pull() == machine.Pin.PULL_UP
    logic = B.Buttons()
    pins.poll_into(logic, 0)              # all released: armed
    machine.pin(pico.PIN_BUTTONS[0]).drive(0)   # POWER pressed (to ground)
    for t in (10, 20, 30, 40):
        pins.poll_into(logic, t)
    assert logic.get() == B.event(B.EV_PRESS, B.B_POWER)
    assert pins.pressed(0) and not pins.pressed(1)
