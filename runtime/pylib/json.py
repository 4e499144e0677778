# json: dumps/loads/dump/load.

_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _str(s):
    out = ['"']
    for c in s:
        e = _ESC.get(c)
        if e is not None:
            out.append(e)
        elif c < " " or c > "~":
            n = ord(c)
            if n > 0xFFFF:
                n -= 0x10000
                out.append("\\u%04x\\u%04x" % (0xD800 + (n >> 10), 0xDC00 + (n & 0x3FF)))
            else:
                out.append("\\u%04x" % n)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _dump(o, out, item_sep, key_sep):
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, str):
        out.append(_str(o))
    elif isinstance(o, int):
        out.append(str(int(o)))
    elif isinstance(o, float):
        if o != o:
            out.append("NaN")
        elif o == float("inf"):
            out.append("Infinity")
        elif o == -float("inf"):
            out.append("-Infinity")
        else:
            out.append(repr(o))
    elif isinstance(o, (list, tuple)):
        out.append("[")
        first = True
        for x in o:
            if not first:
                out.append(item_sep)
            first = False
            _dump(x, out, item_sep, key_sep)
        out.append("]")
    elif isinstance(o, dict):
        out.append("{")
        first = True
        for k, v in o.items():
            if not first:
                out.append(item_sep)
            first = False
            if isinstance(k, str):
                out.append(_str(k))
            elif k is None or isinstance(k, (int, float)):
                out.append(_str(dumps(k)))
            else:
                raise TypeError("keys must be str, int, float, bool or None")
            out.append(key_sep)
            _dump(v, out, item_sep, key_sep)
        out.append("}")
    else:
        raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def dumps(obj, separators=None, **kw):
    item_sep, key_sep = separators if separators else (", ", ": ")
    out = []
    _dump(obj, out, item_sep, key_sep)
    return "".join(out)


def dump(obj, fp, separators=None, **kw):
    fp.write(dumps(obj, separators))


class _Parser:
    def __init__(self, s):
        self.s = s
        self.i = 0

    def error(self, msg="syntax error"):
        raise ValueError(msg)

    def ws(self):
        s = self.s
        n = len(s)
        while self.i < n and s[self.i] in " \t\n\r":
            self.i += 1

    def value(self):
        self.ws()
        s = self.s
        if self.i >= len(s):
            self.error()
        c = s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"':
            return self.string()
        for word, val in (("null", None), ("true", True), ("false", False), ("NaN", float("nan")), ("Infinity", float("inf")), ("-Infinity", -float("inf"))):
            if s.startswith(word, self.i):
                self.i += len(word)
                return val
        return self.number()

    def number(self):
        s = self.s
        st = self.i
        n = len(s)
        if self.i < n and s[self.i] == "-":
            self.i += 1
        isfloat = False
        while self.i < n and (s[self.i] in "0123456789+-eE."):
            if s[self.i] in ".eE":
                isfloat = True
            self.i += 1
        text = s[st : self.i]
        if not text or text == "-":
            self.error()
        try:
            return float(text) if isfloat else int(text)
        except ValueError:
            self.error()

    def string(self):
        s = self.s
        self.i += 1
        out = []
        n = len(s)
        while True:
            if self.i >= n:
                self.error("unterminated string")
            c = s[self.i]
            self.i += 1
            if c == '"':
                return "".join(out)
            if c == "\\":
                if self.i >= n:
                    self.error()
                e = s[self.i]
                self.i += 1
                if e == "u":
                    code = int(s[self.i : self.i + 4], 16)
                    self.i += 4
                    if 0xD800 <= code < 0xDC00 and s[self.i : self.i + 2] == "\\u":
                        low = int(s[self.i + 2 : self.i + 6], 16)
                        self.i += 6
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    out.append(chr(code))
                else:
                    m = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"'}
                    if e not in m:
                        self.error("bad escape")
                    out.append(m[e])
            else:
                out.append(c)

    def arr(self):
        self.i += 1
        out = []
        self.ws()
        if self.i < len(self.s) and self.s[self.i] == "]":
            self.i += 1
            return out
        while True:
            out.append(self.value())
            self.ws()
            if self.i >= len(self.s):
                self.error()
            c = self.s[self.i]
            self.i += 1
            if c == "]":
                return out
            if c != ",":
                self.error()

    def obj(self):
        self.i += 1
        out = {}
        self.ws()
        if self.i < len(self.s) and self.s[self.i] == "}":
            self.i += 1
            return out
        while True:
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] != '"':
                self.error()
            k = self.string()
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] != ":":
                self.error()
            self.i += 1
            out[k] = self.value()
            self.ws()
            if self.i >= len(self.s):
                self.error()
            c = self.s[self.i]
            self.i += 1
            if c == "}":
                return out
            if c != ",":
                self.error()


def loads(s):
    if isinstance(s, (bytes, bytearray)):
        s = s.decode()
    p = _Parser(s)
    v = p.value()
    p.ws()
    if p.i != len(s):
        p.error("extra data")
    return v


def load(fp):
    return loads(fp.read())
