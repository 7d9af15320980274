"""The port model (tools/shims/stdio.py) does what MicroPython 1.27 does on each
port, so the console tests built on it test the real device's behaviour:
blocking as long as the port blocks, polling as the port polls, losing what
the port loses, and Ctrl-C as KeyboardInterrupt until kbd_intr(-1)."""

import micropython
import pytest
import stdio


def _port(platform):
    clock = stdio.Clock()
    return stdio.make_port(platform, clock), clock


def _writable(port):
    p = port.select.poll()
    p.register(port.stdout, stdio.POLLOUT)
    return bool(p.poll(0))


def _readable(port):
    p = port.select.poll()
    p.register(port.stdin, stdio.POLLIN)
    return bool(p.poll(0))


def test_usb_write_into_a_full_fifo_waits_500_ms_then_writes_what_fits():
    port, clock = _port("rp2")
    port.reading = False
    port.os_buffer = 0
    assert port.stdout.write("x" * 256) == 256          # four 64-byte pieces fit
    assert clock.us == 0
    assert not _writable(port)                           # POLLOUT: no byte free
    assert port.stdout.buffer.write(b"y" * 10) == 0      # waits, then gives up
    assert clock.us == 500000


def test_usb_fifo_with_one_free_byte_is_writable_but_a_larger_write_waits():
    port, clock = _port("rp2")
    port.reading = False
    port.os_buffer = 0
    port.stdout.write("x" * 255)
    assert _writable(port)
    # Waits 500 ms for room for both, writes the one that fits, then waits
    # 500 ms more for the other: 1 of 2 bytes in a second.
    assert port.stdout.write("ab") == 1
    assert clock.us == 1000000


def test_usb_host_reading_drains_in_packets_and_its_os_buffer_fills_when_not():
    port, clock = _port("rp2")
    port.stdout.write("a" * 300)
    assert port.host_read() == b"a" * 300
    port.reading = False                       # the host keeps 4096 bytes in its OS
    for _ in range(4096 // 64):
        port.stdout.write("b" * 64)
    assert clock.us == 0 and port.tx_fifo_used() == 0
    port.stdout.write("c" * 256)
    assert port.tx_fifo_used() == 256 and not _writable(port)
    port.reading = True
    assert port.host_read() == b"b" * 4096 + b"c" * 256
    assert _writable(port)


def test_usb_without_a_host_never_waits_and_keeps_the_newest_bytes():
    port, clock = _port("rp2")
    port.connected = False
    port.stdout.write("x" * 1000 + "y" * 256)
    assert clock.us == 0 and _writable(port)
    port.connected = True
    assert port.host_read() == b"y" * 256


def test_usb_flow_control_holds_the_host():
    port, clock = _port("rp2")
    port.host_write(b"z" * 2000)
    assert port.host_unsent() == 2000 - 512 - 256         # stdin ring + RX FIFO
    assert port.stdin.buffer.read(1000) == b"z" * 1000
    assert port.host_unsent() == 232
    assert port.rx_dropped == 0


def test_uart_write_waits_until_the_last_byte_is_in_the_fifo():
    port, clock = _port("esp32")
    port.stdout.write("x" * 1128)
    # 1000 bytes beyond the 128-byte FIFO, 86.8 us each.
    assert clock.us == pytest.approx(1000 * 86.805, abs=1)
    assert _writable(port)                                 # always, on this port


def test_uart_empties_its_fifo_at_115200_baud_whether_the_host_reads_or_not():
    port, clock = _port("esp32")
    port.reading = False
    port.stdout.write("x" * 128)
    assert port.tx_fifo_used() == 128
    clock.advance_us(5000)
    assert port.tx_fifo_used() == 128 - 5000 * 1000 // port.BYTE_NS
    clock.advance_us(10000)
    assert port.tx_fifo_used() == 0


def test_uart_input_beyond_the_stdin_ring_is_lost():
    port, clock = _port("esp32")
    port.host_write(b"a" * 1000)
    clock.advance_us(200000)                                 # the whole second's worth
    assert _readable(port)
    assert port.stdin.buffer.read(260) == b"a" * 260
    assert port.rx_dropped == 740
    assert not _readable(port)


def test_uart_bytes_arrive_at_the_baud_rate():
    port, clock = _port("esp32")
    port.host_write(b"status\n")
    clock.advance_us(86)
    assert not _readable(port)
    clock.advance_us(7 * 87)
    assert port.stdin.buffer.read(7) == b"status\n"


@pytest.mark.parametrize("platform", ["rp2", "esp32"])
def test_ctrl_c_is_keyboard_interrupt_until_kbd_intr_minus_one(platform):
    port, clock = _port(platform)
    port.host_write(b"ab\x03cd")
    clock.advance_us(1000)
    with pytest.raises(KeyboardInterrupt):
        port.stdin.buffer.read(1)
    # rp2 empties its stdin ring on Ctrl-C; the ESP32 keeps what came before.
    assert port.stdin.buffer.read(2) == (b"cd" if platform == "rp2" else b"ab")
    micropython.kbd_intr(-1)
    port.host_write(b"\x03")
    clock.advance_us(1000)
    rest = b"\x03" if platform == "rp2" else b"cd\x03"
    assert port.stdin.buffer.read(len(rest)) == rest
    assert port.interrupts == 1
    port.power_on()
    assert micropython.interrupt_char() == 3


def test_keyboard_interrupt_is_raised_at_the_next_call_or_sleep():
    port, clock = _port("rp2")
    port.host_write(b"\x03")
    with pytest.raises(KeyboardInterrupt):
        clock.time.sleep_ms(10)
    clock.time.sleep_ms(10)                                   # raised once


def test_a_read_of_more_than_arrives_blocks_and_is_reported():
    port, clock = _port("rp2")
    port.host_write(b"ab")
    with pytest.raises(stdio.StdinBlocked):
        port.stdin.buffer.read(3)
    assert clock.us >= stdio.STUCK_S * 1000000


def test_host_rate_limits_what_reaches_the_device():
    port, clock = _port("rp2")
    port.host_bps = 1000
    port.host_write(b"x" * 100)
    clock.advance_us(50000)
    assert port.stdin.buffer.read(50) == b"x" * 50
    assert not _readable(port)


def test_clock_events_and_ticks_wrap():
    clock = stdio.Clock()
    seen = []
    clock.at(1500, lambda: seen.append(clock.us))
    clock.time.sleep_ms(1)
    assert seen == []
    clock.time.sleep_ms(1)
    assert seen == [1500] and clock.us == 2000
    t = clock.time
    assert t.ticks_diff(t.ticks_add(t.ticks_ms(), (1 << 30) - 1), t.ticks_ms()) == -1
