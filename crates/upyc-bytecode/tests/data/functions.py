# Functions, closures, classes, generators, comprehensions and calls.
def defaults(a, b=2, *args, c, d=4, **kw):
    return a, b, args, c, d, kw

def closure(x):
    y = x + 1
    def inner(z=3):
        nonlocal y
        y += z
        return x + y
    return inner

class Base:
    attr = 1
    def method(self, v):
        return v * self.attr

class Derived(Base):
    def method(self, v):
        return super().method(v) + 1
    @staticmethod
    def static():
        return [x for x in range(3)]
    @property
    def prop(self):
        return {k: v for k, v in self.__dict__.items()}

def gen(n):
    yield n
    yield from range(n)
    s = {i for i in range(n)}
    g = (i * i for i in range(n))
    return s, g

def calls(f, *a, **k):
    f(1, 2, x=3)
    f(*a, **k)
    f(0, *a, key=1, **k)
    o = f.attr
    o.meth(1, *a)
    o.meth(k=2)
    return lambda q=1, *r: q + len(r)

async def coro(aw):
    await aw
    async with aw as v:
        pass
    async for i in aw:
        pass
    return v
