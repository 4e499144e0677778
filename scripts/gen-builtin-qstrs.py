#!/usr/bin/env python3
"""Regenerate crates/upyc-syntax/src/builtin_qstrs.rs from the mpy-cross oracle binary.

mpy-cross's parser turns a string literal longer than 10 bytes into a qstr (instead of a str
constant) only if that string is already interned, e.g. because it is one of the qstrs built
into mpy-cross. That set is not documented, so we measure it: every printable string found in
the binary (and each of its suffixes, since linkers merge string tails) is a candidate; we
compile `x = '<candidate>'` for all of them and read which ones mpy-cross put in the .mpy's
qstr table. Short strings (<= 10 bytes) are interned anyway, so they are listed only if they
appear in the binary as well (they cost nothing and keep `find` honest).

Usage: scripts/gen-builtin-qstrs.py [MPY_CROSS]
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(
    ROOT, "target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross"
)


def read_vuint(b, i):
    v = 0
    while True:
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i


def qstr_table(mpy):
    assert mpy[0] == ord("M") and mpy[1] == 6, "not an .mpy v6 file"
    i = 4
    n_qstr, i = read_vuint(mpy, i)
    _n_obj, i = read_vuint(mpy, i)
    out = []
    for _ in range(n_qstr):
        v, i = read_vuint(mpy, i)
        if v & 1:
            out.append(None)  # static qstr, referenced by its index
            continue
        ln = v >> 1
        out.append(mpy[i : i + ln].decode("utf-8"))
        i += ln + 1
    return out


def candidates(binary):
    data = open(binary, "rb").read()
    found = set()
    for m in re.finditer(rb"[\x20-\x7e]{1,}\x00", data):
        s = m.group()[:-1].decode("ascii")
        for k in range(len(s)):
            t = s[k:]
            if t:
                found.add(t)
    return found


def compile_table(mpy_cross, d, batch):
    """The qstr table (after the file name and `<module>`) for a module that assigns each
    candidate to `v`: the interned candidates in order of first use, then `v`."""
    src = os.path.join(d, "p.py")
    with open(src, "w") as f:
        for c in batch:
            f.write("v = %r\n" % c)
    out = os.path.join(d, "p.mpy")
    subprocess.run(
        [mpy_cross, "-X", "heapsize=64M", "-s", "p.py", "-o", out, src], check=True
    )
    table = qstr_table(open(out, "rb").read())
    assert table[:2] == ["p.py", None] and table[-1] == "v", "unexpected qstr table layout"
    return table[2:-1]


def probe_batch(mpy_cross, d, batch):
    table = compile_table(mpy_cross, d, batch)
    found = {c for c in batch if c in table}
    if None not in table:
        return found
    # Static qstrs are stored by index, not by text: split the batch until each such entry
    # is pinned to a single candidate.
    if len(batch) == 1:
        return {batch[0]}
    rest = [c for c in batch if c not in found]
    half = len(rest) // 2
    return found | probe_batch(mpy_cross, d, rest[:half]) | probe_batch(mpy_cross, d, rest[half:])


def probe(mpy_cross, cands):
    interned = set()
    cands = sorted(cands)
    with tempfile.TemporaryDirectory() as d:
        for start in range(0, len(cands), 2000):
            interned |= probe_batch(mpy_cross, d, cands[start : start + 2000])
    return interned


def main():
    mpy_cross = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    cands = {c for c in candidates(mpy_cross) if len(c) > 10}
    long_q = probe(mpy_cross, cands)
    long_q -= {"p.py"}
    out = os.path.join(ROOT, "crates/upyc-syntax/src/builtin_qstrs.rs")
    with open(out, "w") as f:
        f.write(
            "//! The qstrs longer than 10 bytes that are built into mpy-cross 1.29, measured from\n"
            "//! the oracle binary by `scripts/gen-builtin-qstrs.py` (do not edit by hand).\n"
            "//! A string literal longer than 10 bytes becomes a qstr only if it is already\n"
            "//! interned; these are the ones interned before any source is read.\n\n"
            "pub static BUILTIN_QSTRS: &[&str] = &[\n"
        )
        for s in sorted(long_q):
            f.write("    %s,\n" % ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'))
        f.write("];\n")
    print("%d candidates, %d interned" % (len(cands), len(long_q)))


if __name__ == "__main__":
    main()
