# collections: namedtuple, OrderedDict, deque, defaultdict (MicroPython's collections).


class OrderedDict(dict):
    def __repr__(self):
        return "OrderedDict(%r)" % (list(self.items()),)

    def move_to_end(self, key, last=True):
        v = self.pop(key)
        if last:
            self[key] = v
        else:
            items = list(self.items())
            self.clear()
            self[key] = v
            for k, x in items:
                self[k] = x

    def popitem(self, last=True):
        if not self:
            raise KeyError("popitem(): dictionary is empty")
        keys = list(self.keys())
        k = keys[-1] if last else keys[0]
        return (k, self.pop(k))


class defaultdict(dict):
    def __init__(self, default_factory=None, *args, **kw):
        dict.__init__(self, *args, **kw)
        self.default_factory = default_factory

    def __missing__(self, key):
        if self.default_factory is None:
            raise KeyError(key)
        v = self.default_factory()
        self[key] = v
        return v

    def __repr__(self):
        return "defaultdict(%r, %r)" % (self.default_factory, dict(self))


class deque:
    def __init__(self, iterable=(), maxlen=None):
        self._items = []
        self.maxlen = maxlen
        for x in iterable:
            self.append(x)

    def append(self, x):
        self._items.append(x)
        if self.maxlen is not None and len(self._items) > self.maxlen:
            self._items.pop(0)

    def appendleft(self, x):
        self._items.insert(0, x)
        if self.maxlen is not None and len(self._items) > self.maxlen:
            self._items.pop()

    def pop(self):
        if not self._items:
            raise IndexError("pop from an empty deque")
        return self._items.pop()

    def popleft(self):
        if not self._items:
            raise IndexError("pop from an empty deque")
        return self._items.pop(0)

    def extend(self, iterable):
        for x in iterable:
            self.append(x)

    def extendleft(self, iterable):
        for x in iterable:
            self.appendleft(x)

    def clear(self):
        self._items = []

    def rotate(self, n=1):
        if self._items:
            n = n % len(self._items)
            self._items = self._items[-n:] + self._items[:-n]

    def __len__(self):
        return len(self._items)

    def __bool__(self):
        return len(self._items) > 0

    def __iter__(self):
        return iter(self._items)

    def __getitem__(self, i):
        return self._items[i]

    def __setitem__(self, i, v):
        self._items[i] = v

    def __contains__(self, x):
        return x in self._items

    def __eq__(self, other):
        return isinstance(other, deque) and self._items == other._items

    def __repr__(self):
        if self.maxlen is None:
            return "deque(%r)" % (self._items,)
        return "deque(%r, maxlen=%d)" % (self._items, self.maxlen)


def namedtuple(name, fields, rename=False, defaults=None, module=None):
    if isinstance(fields, str):
        fields = fields.replace(",", " ").split()
    fields = tuple(fields)
    nfields = len(fields)
    dflt = tuple(defaults) if defaults else ()

    def __new__(cls, *args, **kw):
        if len(args) > nfields:
            raise TypeError("too many arguments")
        values = list(args)
        for i in range(len(args), nfields):
            f = fields[i]
            if f in kw:
                values.append(kw.pop(f))
            elif i >= nfields - len(dflt):
                values.append(dflt[i - (nfields - len(dflt))])
            else:
                raise TypeError("missing argument: " + f)
        if kw:
            raise TypeError("unexpected keyword argument")
        return tuple.__new__(cls, values)

    def __repr__(self):
        return name + "(" + ", ".join(f + "=" + repr(v) for f, v in zip(fields, self)) + ")"

    def _replace(self, **kw):
        return cls(*[kw.pop(f, v) for f, v in zip(fields, self)])

    def _asdict(self):
        return OrderedDict(zip(fields, self))

    ns = {
        "__new__": __new__,
        "__repr__": __repr__,
        "_replace": _replace,
        "_asdict": _asdict,
        "_fields": fields,
    }
    for i, f in enumerate(fields):
        ns[f] = property(_getter(i))
    cls = type(name, (tuple,), ns)

    def _make(iterable):
        return cls(*iterable)

    cls._make = _make
    return cls


def _getter(i):
    return lambda self: self[i]
