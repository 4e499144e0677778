# array: typed arrays stored as lists, packed with struct.
import struct

_RANGES = {
    "b": (-128, 127), "B": (0, 255), "h": (-32768, 32767), "H": (0, 65535),
    "i": (-2147483648, 2147483647), "I": (0, 4294967295), "l": (-2147483648, 2147483647),
    "L": (0, 4294967295), "q": (-(2 ** 63), 2 ** 63 - 1), "Q": (0, 2 ** 64 - 1),
}


class array:
    def __init__(self, typecode, initializer=()):
        if typecode not in "bBhHiIlLqQfd":
            raise ValueError("bad typecode")
        self.typecode = typecode
        self.itemsize = struct.calcsize("<" + typecode)
        self._items = []
        if isinstance(initializer, (bytes, bytearray)):
            self.frombytes(initializer)
        else:
            self.extend(initializer)

    def _check(self, v):
        if self.typecode in "fd":
            return float(v)
        lo, hi = _RANGES[self.typecode]
        v = int(v)
        if v < lo or v > hi:
            raise OverflowError("value out of range")
        return v

    def append(self, v):
        self._items.append(self._check(v))

    def extend(self, iterable):
        if isinstance(iterable, (bytes, bytearray)) and self.typecode in "bB":
            self.frombytes(iterable)
            return
        for v in iterable:
            self.append(v)

    def frombytes(self, b):
        fmt = "<%d%s" % (len(b) // self.itemsize, self.typecode)
        self._items.extend(struct.unpack(fmt, bytes(b)))

    def tobytes(self):
        return struct.pack("<%d%s" % (len(self._items), self.typecode), *self._items)

    def __bytes__(self):
        return self.tobytes()

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return array(self.typecode, self._items[i])
        return self._items[i]

    def __setitem__(self, i, v):
        if isinstance(i, slice):
            self._items[i] = [self._check(x) for x in v]
        else:
            self._items[i] = self._check(v)

    def __add__(self, other):
        return array(self.typecode, self._items + list(other))

    def __iadd__(self, other):
        self.extend(other)
        return self

    def __eq__(self, other):
        if isinstance(other, array):
            return self._items == other._items
        return NotImplemented

    def __repr__(self):
        if not self._items:
            return "array('%s')" % self.typecode
        return "array('%s', %r)" % (self.typecode, self._items)
