# The program the `hello` firmware runs on a Cortex-M3 in QEMU (see firmware/README.md).
# Its expected output, hello.out, is CPython 3.11's: scripts/firmware-gen-expected.sh.
# Keep every value a small int: the minimal build has no floats and no big ints.


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


class Counter:
    def __init__(self, name):
        self.name = name
        self.counts = {}

    def add(self, word):
        self.counts[word] = self.counts.get(word, 0) + 1

    def __repr__(self):
        return "Counter(%s, %d words)" % (self.name, len(self.counts))


print("hello from upyc")
print(6 * 7, 100 // 7, 100 % 7, -17 // 5, 2**20, 1 << 28)
print([fib(i) for i in range(15)])

total = 0
i = 0
while i < 100:
    if i % 3 == 0 or i % 5 == 0:
        total += i
    i += 1
print("sum of multiples of 3 or 5 below 100:", total)

c = Counter("text")
for w in "the quick brown fox jumps over the lazy dog the end".split():
    c.add(w)
print(c)
print(sorted(c.counts.items())[:4])
print("the: {}, fox: {}".format(c.counts["the"], c.counts["fox"]))

squares = {n: n * n for n in range(6)}
print(squares)
name = "upyc"
print(f"{name!r} has {len(name)} letters, upper: {name.upper()}")
print("%5d|%-5s|%x" % (42, "ab", 255))
print(", ".join(str(x) for x in reversed([1, 2, 3])))

try:
    {}["missing"]
except KeyError as e:
    print("caught KeyError", e)
print("done")
