# mpy-cross: -O3
x = __debug__
