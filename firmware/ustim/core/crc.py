# CRC-32 (IEEE 802.3, the zlib/binascii one) for records and settings on flash.
# binascii.crc32 is built into MicroPython on rp2, esp32 and the unix/wasm
# ports (MICROPY_PY_BINASCII_CRC32); crc32_py is the fallback for a build
# without it, and the checks prove the two agree byte for byte.
from micropython import const

_POLY = const(0xEDB88320)
_MASK = const(0xFFFFFFFF)


def crc32_py(data, crc=0):
    crc ^= _MASK
    for b in data:
        crc ^= b
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ _POLY
            else:
                crc >>= 1
    return crc ^ _MASK


try:
    from binascii import crc32
except ImportError:
    crc32 = crc32_py
