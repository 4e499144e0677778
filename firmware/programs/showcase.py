# A larger program for the 8 KB part (firmware `showcase`): classes with inheritance and
# super(), exceptions (raise, except, else, finally), a generator, string formatting.
# Expected output: showcase.out, CPython 3.11's (scripts/firmware-gen-expected.sh).


class Sensor:
    def __init__(self, name, scale):
        self.name = name
        self.scale = scale

    def read(self, raw):
        if raw < 0:
            raise ValueError("negative reading")
        return raw * self.scale

    def __repr__(self):
        return "<%s %s>" % (type(self).__name__, self.name)


class Thermometer(Sensor):
    def __init__(self, name):
        super().__init__(name, 2)

    def read(self, raw):
        return super().read(raw) - 40


def samples(n):
    x = 7
    for _ in range(n):
        x = (x * 13 + 5) % 31
        yield x - 3


t = Thermometer("t0")
print(t, t.scale)
ok = bad = 0
for s in samples(8):
    try:
        v = t.read(s)
    except ValueError as e:
        bad += 1
        print("skip:", e)
    else:
        ok += 1
        print("{:>4} -> {:+d}".format(s, v))
    finally:
        pass
print("ok=%d bad=%d" % (ok, bad))
print(f"{'done':*^10}")
