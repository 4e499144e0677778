# mpy-cross: -O1
x = __debug__
if __debug__:
    y = 1
assert x
