import a.b.c as d, e
from . import x
from .. import y as z
from ...m import (a, b,)
from .m.n import *
from ... import q
global gg
@dec
@dec.a.b(1, x=2)
def f(a, b: int = 1, *args, c, d=2, **kw) -> "ret":
    nonlocal x
    del a, b[1], c.d
    assert a, "msg"
    raise E from None
    yield from x
    x = yield 1, 2
    return
async def g():
    await x
    async for i in y:
        pass
    async with a as b, c:
        pass
    await x.y[1](2)
    return [i async for i in y]
class C(A, B, metaclass=M, **kw):
    x: int
    y: int = 5
    def m(self, /, a): pass
if (n := 10) > 5:
    pass
elif x:
    pass
else:
    pass
while y := f():
    break
else:
    continue
try:
    pass
except E as e:
    pass
except (A, B):
    pass
except:
    pass
else:
    pass
finally:
    pass
try:
    pass
finally:
    pass
with a, b as (c, d):
    pass
lambda: 0
lambda x, *y, z=1, **w: x
f(*a, **b, c=1, *d)
f(x for x in y)
f(a := 1)
x = a if b else c if d else e
x = not a is not b not in c < d <= e != f
x += 1; x -= 1; x *= 1; x @= 1; x /= 1; x //= 1; x %= 1; x **= 1; x >>= 1; x <<= 1; x &= 1; x ^= 1; x |= 1
a = b = c = 1
a, *b = c
x[1:2:3], x[::], x[:], x[1:], x[:2]
print(*a, sep="")
x = [1, 2,]
x = {1, 2,}
x = {**a, 'b': 1}
