# Every kind of constant-table entry, and small ints around the encoding boundaries.
import sys
from os import path as p
a = 0.1
b = 1e100
c = 1e-10
d = 1e400
e = 123456789.123
f = 1e16
g = 1e15
h = 0.0001
i = 0.00001
j = 3.5j
k = 1e20j
l = -2.5
m = (1, (2, 3), (), ("x",), None, True, False, ...)
n = "it's"
o = 'say "hi" it\'s, and this string is long enough not to be a qstr'
q = b""
r = -123456789012345678901234567890
s = 1.0
t = 100.0
u = 0.0
v = 1j
w = 5e-324
x = b"bytes\x00\xff'\"\\\t\n"
y = "a string with tabs\tand newlines\n and a backslash \\ long enough"
z = "caf\xe9 \u65e5\u672c \U0001f600 long enough to be a const object"
ints = (-16, -17, 47, 48, 63, 64, -64, -65, 8191, -8192, 100000, -100000, 2**30, 2**31, 2**62, 2**64)
