#!/usr/bin/env python3
"""Regenerate the number-literal oracle data under crates/upyc-syntax/tests/data/num/.

Many float, imaginary and int literals are compiled by mpy-cross (the oracle) and the text it
stores for each constant is read back out of the .mpy. Literals go in tuples, one per line
(`x = (IDX, lit, lit, ...)`): a tuple of constants becomes one constant object whose items are
saved in order, without the de-duplication the module's constant table does, and the leading
IDX keeps every tuple distinct. Invalid literals are compiled one per file to record the error.

Output files (tab-separated, one case per line, UTF-8):
  floats.txt   CATEGORY  LITERAL  KIND  STORED      KIND: f float, c complex (mpy obj types)
  ints.txt     CATEGORY  LITERAL  KIND  STORED      KIND: i
  errors.txt   LITERAL   MESSAGE                    mpy-cross's SyntaxError message
  smallint.txt BITS      VALUE  small|obj           with -msmall-int-bits=BITS, whether
                                                    `x = VALUE` loads a small int or an object

The generator is seeded, so the same mpy-cross gives the same files.

Usage: scripts/num-oracle.py [--mpy-cross PATH] [--out DIR] [--seed N] [--scale N]
(--scale multiplies the random case counts, --out/--seed give other data sets for long runs.)
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(
    ROOT, "target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross"
)
OUT = os.path.join(ROOT, "crates/upyc-syntax/tests/data/num")

# .mpy object type codes (py/persistentcode.h, MP_PERSISTENT_OBJ_*)
OBJ_KINDS = {7: "i", 8: "f", 9: "c"}
OBJ_STR, OBJ_BYTES, OBJ_TUPLE = 5, 6, 10

PER_TUPLE = 100
PER_FILE = 2000


def read_vuint(b, i):
    v = 0
    while True:
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i


def read_obj(b, i):
    t = b[i]
    i += 1
    if t in (OBJ_STR, OBJ_BYTES):
        n, i = read_vuint(b, i)
        return ("s", b[i : i + n].decode("utf-8", "replace")), i + n + 1
    if t in OBJ_KINDS:
        n, i = read_vuint(b, i)
        return (OBJ_KINDS[t], b[i : i + n].decode("ascii")), i + n
    if t == OBJ_TUPLE:
        n, i = read_vuint(b, i)
        items = []
        for _ in range(n):
            o, i = read_obj(b, i)
            items.append(o)
        return ("t", items), i
    if t in (1, 2, 3, 4):
        return ("k", t), i
    raise ValueError(f"unknown object type {t}")


def read_const_objs(mpy):
    """The constant objects of a bytecode-only .mpy v6, in table order."""
    assert mpy[0] == ord("M") and mpy[1] == 6, "not a .mpy v6"
    assert mpy[2] == 0, "arch flags not expected for bytecode"
    i = 4
    n_qstr, i = read_vuint(mpy, i)
    n_obj, i = read_vuint(mpy, i)
    for _ in range(n_qstr):
        v, i = read_vuint(mpy, i)
        if not v & 1:
            i += (v >> 1) + 1
    objs = []
    for _ in range(n_obj):
        o, i = read_obj(mpy, i)
        objs.append(o)
    return objs


def compile_source(mpy_cross, src, flags=()):
    """Returns (constant objects, None) or (None, error message)."""
    with tempfile.TemporaryDirectory() as d:
        py = os.path.join(d, "t.py")
        out = os.path.join(d, "t.mpy")
        with open(py, "w") as f:
            f.write(src)
        p = subprocess.run(
            [mpy_cross, *flags, "-s", "t.py", "-o", out, py], capture_output=True, text=True
        )
        if p.returncode != 0:
            lines = (p.stdout + p.stderr).strip().splitlines()
            return None, lines[-1] if lines else "?"
        with open(out, "rb") as f:
            return read_const_objs(f.read()), None


def run_batches(mpy_cross, cases):
    """cases: list of (category, literal). Returns list of (category, literal, kind, text)."""
    results = []
    for fstart in range(0, len(cases), PER_FILE):
        chunk = cases[fstart : fstart + PER_FILE]
        lines = []
        for tstart in range(0, len(chunk), PER_TUPLE):
            lits = [lit for _, lit in chunk[tstart : tstart + PER_TUPLE]]
            lines.append(f"x = ({fstart + tstart}, {', '.join(lits)})\n")
        objs, err = compile_source(mpy_cross, "".join(lines))
        if err is not None:
            raise SystemExit(f"batch at {fstart} failed: {err}")
        tuples = [o for o in objs if o[0] == "t"]
        assert len(tuples) == len(lines), (len(tuples), len(lines))
        k = 0
        for tup in tuples:
            items = tup[1][1:]
            for kind, text in items:
                cat, lit = chunk[k]
                results.append((cat, lit, kind, text))
                k += 1
        assert k == len(chunk)
    return results


# ------------------------------------------------------------------------------------------
# Literal generators
# ------------------------------------------------------------------------------------------


def rand_double(rng, lo_exp=0, hi_exp=0x7FE):
    e = rng.randint(lo_exp, hi_exp)
    m = rng.getrandbits(52)
    return struct.unpack("<d", struct.pack("<Q", (e << 52) | m))[0]


def as_float_literal(s):
    """Python formatting can give an integer-looking text; make it a float literal."""
    if not any(c in s for c in ".eEjJ") and "inf" not in s:
        return s + ".0"
    return s


def digits(rng, n, lead_nonzero=True):
    d = "".join(rng.choice("0123456789") for _ in range(n))
    if lead_nonzero and n:
        d = rng.choice("123456789") + d[1:]
    return d


def gen_floats(rng, scale=1):
    cases = []

    def add(cat, lit):
        cases.append((cat, lit))

    # Random doubles, as Python's shortest repr, %.17g and %.3e.
    for _ in range(5000 * scale):
        add("repr", as_float_literal(repr(rand_double(rng))))
    for _ in range(3000 * scale):
        add("g17", as_float_literal("%.17g" % rand_double(rng)))
    for _ in range(2000 * scale):
        add("e3", "%.3e" % rand_double(rng))
    # Doubles near 1 (the common range of program constants).
    for _ in range(2000 * scale):
        add("repr_mid", as_float_literal(repr(rand_double(rng, 0x3F0, 0x40F))))
    # Short decimals: 1..7 significant digits, point anywhere, optional small exponent.
    for _ in range(3000 * scale):
        n = rng.randint(1, 7)
        d = digits(rng, n)
        p = rng.randint(0, n)
        lit = d[:p] + "." + d[p:]
        if rng.random() < 0.3:
            lit += "e%d" % rng.randint(-30, 30)
        add("short", lit)
    # Huge and tiny exponents around the double range limits.
    for _ in range(2000 * scale):
        n = rng.randint(1, 20)
        d = digits(rng, n)
        e = rng.choice([rng.randint(290, 310), rng.randint(-330, -290)])
        add("extreme", d[0] + "." + (d[1:] or "0") + "e%d" % e)
    for lit in [
        "1e308", "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
        "1.8e308", "1e309", "1e-324", "2e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "2.5e-324", "3e-324", "4.9e-324", "5e-324", "1e-323",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.225073858507201e-308",
        "4.9406564584124654e-324", "1e-320", "1e-310", "0.0", "0.", ".0", "00.0", "0e0",
        "0e999", "0.000", "1e0", "1.0e-0", "1e+0",
    ]:
        add("limits", lit)
    # Subnormals.
    for _ in range(1500 * scale):
        x = rand_double(rng, 0, 0)
        add("subnormal", as_float_literal(repr(x) if rng.random() < 0.5 else "%.17g" % x))
    # Results of arithmetic on short decimals (0.1+0.2 style).
    for _ in range(1500 * scale):
        a = float("0." + digits(rng, rng.randint(1, 3), False) + "1")
        b = float(digits(rng, rng.randint(1, 3)) + "." + digits(rng, 2, False))
        x = rng.choice([a + b, a * b, b / a, a - b if a > b else b - a, a / 3, b * 1.1])
        if x > 0:
            add("arith", as_float_literal(repr(x)))
    # Many digits (30 to 250), point anywhere, optional exponent.
    for _ in range(1500 * scale):
        n = rng.randint(30, 250)
        d = digits(rng, n)
        p = rng.randint(0, n)
        lit = d[:p] + "." + d[p:]
        if rng.random() < 0.5:
            lit += "e%d" % rng.randint(-350, 350)
        if rng.random() < 0.2:
            lit = "0." + "0" * rng.randint(1, 40) + d
        add("long", lit)
    # Trailing and leading zeros around significant digits.
    for _ in range(1000 * scale):
        lit = (
            "0" * rng.randint(0, 3) + digits(rng, rng.randint(1, 5)) + "0" * rng.randint(0, 25)
            + "." + "0" * rng.randint(0, 25) + digits(rng, rng.randint(0, 5), False)
            + "0" * rng.randint(0, 5)
        )
        add("zeros", lit)
    # Powers of ten and of two.
    for k in range(-330, 312):
        add("pow10", "1e%d" % k)
    for k in range(-1074, 1024, 2):
        add("pow2", as_float_literal(repr(2.0 ** k)))
    # Overflow to inf and underflow to zero.
    for lit in [
        "1e999", "1e400", "9e308", "1e99999999999", "1e2147483647", "1e2147483648",
        "1e-400", "1e-99999999999", "0.0e99999999999", "1" + "0" * 400 + ".0",
        "0." + "0" * 400 + "1", "1" + "0" * 310 + "e-2", "123e1073741820",
        "1e-2147483648", "1e107374182", "1e107374181", "1e1073741818",
    ]:
        add("infzero", lit)
    # Exponent markers in upper case, signs, missing parts.
    for _ in range(500 * scale):
        d = digits(rng, rng.randint(1, 4))
        lit = rng.choice([d + ".", "." + d, d + "." + d]) + rng.choice(
            ["", "E%d" % rng.randint(-20, 20), "e+%d" % rng.randint(0, 20), "E-0%d" % rng.randint(0, 9)]
        )
        add("forms", lit)
    # Underscores between digits (the lexer drops them).
    base = [lit for _, lit in cases if "e" not in lit.lower()]
    for _ in range(1200 * scale):
        lit = rng.choice(base)
        out = []
        for i, c in enumerate(lit):
            out.append(c)
            if c.isdigit() and i + 1 < len(lit) and lit[i + 1].isdigit() and rng.random() < 0.3:
                out.append("_")
        add("underscore", "".join(out))
    # Imaginary literals.
    reals = [lit for _, lit in cases]
    for _ in range(3000 * scale):
        lit = rng.choice(reals) + rng.choice("jJ")
        add("imag", lit)
    for _ in range(300 * scale):
        add("imag_int", digits(rng, rng.randint(1, 25)) + rng.choice("jJ"))
    for lit in ["0j", "00j", "0.0j", "1ej", "1e5j", "1e999j", "1e-999j", "1_0j", "5e-324j"]:
        add("imag_int", lit)
    return cases


def gen_ints(rng, scale=1):
    cases = []

    def add(cat, lit):
        cases.append((cat, lit))

    for bits in range(0, 260):
        for v in (1 << bits) - 1, 1 << bits, (1 << bits) + 1:
            if v >= 0:
                add("pow2", str(v))
                add("hex", hex(v))
    for _ in range(1500 * scale):
        add("dec", digits(rng, rng.randint(1, 80)))
    for _ in range(500 * scale):
        v = rng.getrandbits(rng.randint(1, 300))
        p, s = rng.choice([("0x", "%x"), ("0X", "%X"), ("0o", "%o"), ("0O", "%o"), ("0b", "{:b}"), ("0B", "{:b}")])
        txt = s.format(v) if "{" in s else s % v
        if rng.random() < 0.3:
            txt = "_".join(txt[i : i + 3] for i in range(0, len(txt), 3))
        add("prefixed", p + ("_" if rng.random() < 0.2 else "") + txt)
    for lit in ["0", "00", "000", "0_0", "0x0", "0o0", "0b0", "0x_ff", "1_000_000", "0XaBcDeF",
                "4611686018427387903", "4611686018427387904", "9223372036854775807",
                "9223372036854775808", "18446744073709551615", "18446744073709551616",
                "1073741823", "1073741824", "2147483647", "2147483648"]:
        add("edge", lit)
    return cases


ERROR_LITERALS = [
    "0777", "01", "00_1", "0b12", "0b2", "0o8", "0o9", "0x", "0b", "0o", "0xg", "0x_g", "09",
    "1e", "1e+", "1e-", "1.2.3", "1.5e5e5", "1.5x", "1e+_", "0x1.5", "0b1e5", "1.0ef",
    "1.e", "0x1j", "12abc", "1_e", "0_777",
]


def gen_errors(mpy_cross):
    out = []
    for lit in ERROR_LITERALS:
        objs, err = compile_source(mpy_cross, f"x = {lit}\n")
        out.append((lit, "OK" if err is None else err.replace("SyntaxError: ", "")))
    return out


SMALL_INT_BITS = [0, 1, 2, 3, 8, 16, 30, 31, 32, 33, 48, 61, 62, 63, 64, 65, 100, 255]


def gen_smallint(mpy_cross):
    """For each bits setting, which values around the interesting boundaries are small ints.

    Values are written as `x = V` (non-negative literals) or `x = -V` (folded by the parser);
    an int is stored in the constant table exactly when it is not a small int."""
    out = []
    for bits in SMALL_INT_BITS:
        values = set()
        for b in range(0, 66):
            for v in (1 << b) - 2, (1 << b) - 1, 1 << b, (1 << b) + 1:
                if v >= 0:
                    values.update((v, -v))
        values = sorted(values)
        src = "".join(f"x = {v}\n" for v in values)
        objs, err = compile_source(mpy_cross, src, [f"-msmall-int-bits={bits}"])
        if err is not None:
            raise SystemExit(f"small-int bits {bits}: {err}")
        stored = {int(text) for kind, text in objs if kind == "i"}
        for v in values:
            out.append((str(bits), str(v), "obj" if v in stored else "small"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mpy-cross", default=DEFAULT)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--scale", type=int, default=1)
    args = ap.parse_args()
    mpy_cross, out = args.mpy_cross, args.out
    rng = random.Random(args.seed)
    os.makedirs(out, exist_ok=True)

    floats = run_batches(mpy_cross, gen_floats(rng, args.scale))
    bad = [r for r in floats if r[2] not in "fc"]
    assert not bad, bad[:5]
    with open(os.path.join(out, "floats.txt"), "w") as f:
        for row in floats:
            f.write("\t".join(row) + "\n")

    ints = run_batches(mpy_cross, gen_ints(rng, args.scale))
    assert all(r[2] == "i" for r in ints)
    with open(os.path.join(out, "ints.txt"), "w") as f:
        for row in ints:
            f.write("\t".join(row) + "\n")

    with open(os.path.join(out, "errors.txt"), "w") as f:
        for lit, msg in gen_errors(mpy_cross):
            f.write(f"{lit}\t{msg}\n")

    small = gen_smallint(mpy_cross)
    with open(os.path.join(out, "smallint.txt"), "w") as f:
        for row in small:
            f.write("\t".join(row) + "\n")

    print(
        f"floats: {len(floats)}, ints: {len(ints)}, errors: {len(ERROR_LITERALS)}, "
        f"smallint: {len(small)}"
    )


if __name__ == "__main__":
    main()
