# Assignments, unpacking, subscripts, slices, del, globals and imports.
from math import *
import os.path
import sys as system
from . import sibling
G = 0
def assign(seq, d):
    global G
    a, b = seq[0], seq[1]
    first, *rest = seq
    *init, last = seq
    x, (y, z) = 1, (2, 3)
    d["k"] = a
    d["k"] += b
    seq[1:2] = [a]
    seq[::2] = seq[1::2]
    d.attr = 1
    d.attr += 2
    G = a + b
    del d["k"]
    del d.attr
    del a
    t = seq[1:], seq[:-1], seq[1:2:3]
    s = {1, 2, first}
    m = {"a": 1, "b": b, first: last}
    f = f"{a!r:>{b}} and {b}"
    c = 1 < 2
    return t, s, m, f, c, rest, init, x, y, z
def many_locals():
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = 0
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = b8 = b9 = 1
    c0 = a0 + b9
    del c0
    return a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9
x = -1
y = ~x
z = not x
w = +x
