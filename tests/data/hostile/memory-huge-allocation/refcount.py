x = bytearray(10 ** 12)
