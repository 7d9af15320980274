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


def test_init_turns_the_panel_on_blank(disp):
    d, model, _ = disp
    assert model.on
    assert bytes(model.ram) == bytes(1024)


def test_flush_sends_one_page_per_call_until_the_panel_shows_the_frame(disp):
    d, model, writes = disp
    _draw(d, "home")
    start = model.data_bytes
    calls = 0
    while d.flush(1):
        calls += 1
        assert model.data_bytes - start == 128 * calls
    assert bytes(model.ram) == bytes(d.drv.buffer)
    lit_pages = [p for p in range(8) if any(d.drv.buffer[p * 128:(p + 1) * 128])]
    assert calls == len(lit_pages)


def test_a_small_change_sends_only_its_pages(disp):
    d, model, _ = disp
    from tools.dev import ui_samples
    m, v = ui_samples.build("home")
    screens.draw(d.fb, m, v)
    while d.flush(8):
        pass
    before = model.data_bytes
    v.target_ua[0] += 1000          # the amplitude line of channel 1 (page 2)
    screens.draw(d.fb, m, v)
    assert d.flush(8) == 1
    assert model.data_bytes - before == 128
    assert bytes(model.ram) == bytes(d.drv.buffer)


def test_every_screen_reaches_the_panel_intact(disp):
    d, model, _ = disp
    from tools.dev import ui_samples
    for name in ui_samples.names():
        _draw(d, name)
        while d.flush(2):
            pass
        assert bytes(model.ram) == bytes(d.drv.buffer), name


def test_off_on_and_contrast(disp):
    d, model, _ = disp
    d.contrast(300)
    assert model.contrast == 255
    d.off()
    assert not model.on
    _draw(d, "home")
    assert d.flush(8) == 0          # nothing is sent while the panel is off
    d.on()
    assert model.on and d.flush(8) > 0


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
