# io: StringIO and BytesIO (in-memory text and binary streams).


class _Buffer:
    def __init__(self, initial):
        self._buf = initial
        self._pos = 0
        self.closed = False

    def getvalue(self):
        return self._buf

    def write(self, s):
        if not isinstance(s, self._kind):
            s = self._kind(s)
        end = self._pos + len(s)
        self._buf = self._buf[: self._pos] + s + self._buf[end:]
        self._pos = end
        return len(s)

    def read(self, n=-1):
        if n is None or n < 0:
            r = self._buf[self._pos :]
        else:
            r = self._buf[self._pos : self._pos + n]
        self._pos += len(r)
        return r

    def readline(self, size=-1):
        nl = self._nl
        i = self._buf.find(nl, self._pos)
        end = len(self._buf) if i < 0 else i + 1
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        r = self._buf[self._pos : end]
        self._pos = end
        return r

    def readlines(self):
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def seek(self, pos, whence=0):
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += len(self._buf)
        self._pos = max(0, pos)
        return self._pos

    def tell(self):
        return self._pos

    def flush(self):
        pass

    def close(self):
        self.closed = True

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()


class StringIO(_Buffer):
    _kind = str
    _nl = "\n"

    def __init__(self, initial=""):
        _Buffer.__init__(self, initial)


class BytesIO(_Buffer):
    _kind = bytes
    _nl = b"\n"

    def __init__(self, initial=b""):
        _Buffer.__init__(self, bytes(initial))
