# mpy-cross: -msmall-int-bits=8
a = 127, 128, -128, -129, 64, 63, -64, -65, 255, 256
b = (1, 200)
from micropython import const
X = const(1000)
print(X, X + 1)
