# Sense adapter: per channel, the delivered current (uA) and the peak electrode
# voltage (mV) of the most recent pulse, read with machine.ADC.read_u16 and the
# board's full scales. read() runs every control tick and allocates nothing:
# it fills preallocated lists (i_ua, v_mv, and the raw readings raw_i, raw_v).
#
# Board fields: PIN_SENSE_I, PIN_SENSE_V (per channel), SENSE_I_UA_FULL_SCALE,
# SENSE_V_MV_FULL_SCALE (the value read_u16() == 65535 stands for), and
# optionally PIN_SENSE_V_MUX: on the Pico both peak detectors share one ADC
# input through a 2:1 mux, low selecting channel 1 (index 0).
#
# Scaling is fixed point: value = (raw * k + round) >> shift, with k chosen so
# raw * k < 2**30 (a larger product would be a heap-allocated big int on
# MicroPython). The error is below 0.01 % of full scale (2 uA at 100 mA).
from machine import ADC, Pin
from micropython import const

_RAW_MAX = const(65535)
_SMALL_INT_LIMIT = const(0x3FFFFFFF)


def fixed_scale(full):
    """(k, shift) with raw * k >> shift ~= raw * full / 65535 and
    65535 * k + 2**(shift-1) <= 2**30 - 1."""
    shift = 0
    while True:
        k = ((full << (shift + 1)) + _RAW_MAX // 2) // _RAW_MAX
        if _RAW_MAX * k + (1 << shift) > _SMALL_INT_LIMIT or shift >= 24:
            break
        shift += 1
    k = ((full << shift) + _RAW_MAX // 2) // _RAW_MAX
    return k, shift


def to_units(raw, k, shift):
    if shift == 0:
        return raw * k
    return (raw * k + (1 << (shift - 1))) >> shift


def _adc(pin, esp32):
    if esp32:
        # 11 dB attenuation: the full 0-3.3 V range the sense amplifiers use.
        return ADC(Pin(pin), atten=ADC.ATTN_11DB)
    return ADC(Pin(pin))


class Sense:
    def __init__(self, board):
        n = board.CHANNELS
        esp32 = getattr(board, "PLATFORM", "") == "esp32"
        self.n = n
        self._adc_i = [_adc(board.PIN_SENSE_I[c], esp32) for c in range(n)]
        shared = {}
        self._adc_v = []
        for c in range(n):
            pin = board.PIN_SENSE_V[c]
            if pin not in shared:
                shared[pin] = _adc(pin, esp32)
            self._adc_v.append(shared[pin])
        mux = getattr(board, "PIN_SENSE_V_MUX", None)
        self._mux = None if mux is None else Pin(mux, Pin.OUT, value=0)
        self._ik, self._ishift = fixed_scale(board.SENSE_I_UA_FULL_SCALE)
        self._vk, self._vshift = fixed_scale(board.SENSE_V_MV_FULL_SCALE)
        # to_units' rounding term, per scale (0 when there is no shift).
        self._ihalf = (1 << self._ishift) >> 1
        self._vhalf = (1 << self._vshift) >> 1
        self.i_ua = [0] * n
        self.v_mv = [0] * n
        self.raw_i = [0] * n
        self.raw_v = [0] * n

    def read(self):
        """Sample every channel into i_ua / v_mv (and raw_i / raw_v). Runs every
        control tick: to_units() is written out here, a call per reading costs."""
        mux = self._mux
        adc_i = self._adc_i
        adc_v = self._adc_v
        ik, ih, ish = self._ik, self._ihalf, self._ishift
        vk, vh, vsh = self._vk, self._vhalf, self._vshift
        c = 0
        while c < self.n:
            raw = adc_i[c].read_u16()
            self.raw_i[c] = raw
            self.i_ua[c] = (raw * ik + ih) >> ish
            adc = adc_v[c]
            if mux is not None and c > 0:
                mux.value(c)
                # The ADC's sampling capacitor still holds the other channel's
                # voltage right after the mux switches: discard one conversion.
                adc.read_u16()
            raw = adc.read_u16()
            self.raw_v[c] = raw
            self.v_mv[c] = (raw * vk + vh) >> vsh
            c += 1
        if mux is not None and self.n > 1:
            mux.value(0)     # channel index 0 selected between reads
