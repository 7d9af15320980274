"""One request, one reply over a serial port (pyserial): the console protocol
of docs/protocol.md seen from the PC."""

import json
import time

import serial


class LinkError(Exception):
    """The device did not answer (or the port could not be used)."""


class Link:
    def __init__(self, port, baud=115200, timeout=2.0):
        self.timeout = timeout
        try:
            # A short read timeout lets request() watch its own deadline.
            self.ser = serial.Serial(port=port, baudrate=baud, timeout=0.05)
        except (serial.SerialException, OSError) as e:
            raise LinkError("cannot open %s: %s" % (port, e)) from e

    def close(self):
        self.ser.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, line):
        """Send one command line; return the reply object. Lines that are not a
        JSON object (boot messages, a REPL banner) are skipped."""
        if "\n" in line or "\r" in line:
            raise ValueError("one command per request")
        self.ser.reset_input_buffer()     # drop anything stale before asking
        self.ser.write(line.encode("utf-8") + b"\n")
        self.ser.flush()
        deadline = time.monotonic() + self.timeout
        buf = b""
        while time.monotonic() < deadline:
            buf += self.ser.readline()
            if not buf.endswith(b"\n"):
                continue
            text, buf = buf.strip(), b""
            if not text.startswith(b"{"):
                continue
            try:
                reply = json.loads(text)
            except ValueError:
                continue
            if isinstance(reply, dict) and "ok" in reply:
                return reply
        raise LinkError("no reply to %r within %.1f s" % (line, self.timeout))
