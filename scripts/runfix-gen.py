#!/usr/bin/env python3
"""Generate the expected output (.out) of the runtime conformance fixtures.

Every test fixture fixtures/run/<area>/NNN_*.py that has no hand-written
.exp file is run under CPython 3.11 (`python3 NAME.py`, cwd = the fixture's
directory) and its stdout is written to NAME.out, byte for byte.  A program
that ends with a non-zero exit status (sys.exit(N), raise SystemExit(N))
gets a last line "# exit N".  A program that writes anything to stderr
(an uncaught exception's traceback, a warning) is an error: CPython's
traceback text is not MicroPython's, so such a fixture needs a hand-written
.exp (see fixtures/run/README.md).

Each program runs twice, with PYTHONHASHSEED 0 and 1; output that depends on
the hash seed (str hashes, set ordering of strings) is an error.

Usage:
  python3 scripts/runfix-gen.py [--check] [FILTER ...]

  FILTER   only fixtures whose path (relative to fixtures/run) contains it
  --check  write nothing; exit 1 if a .out is missing or out of date, or a
           .out and a .exp exist for the same fixture

Also checked: every .exp starts with a "# reason: " line, every fixture has
10 to 80 lines.  Exit status 0 when everything is fine, 1 otherwise.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures", "run")
TEST_RE = re.compile(r"^\d{3}_[A-Za-z0-9_]+\.py$")
PYTHON = os.environ.get("PYTHON", "python3")
TIMEOUT = 60


def tests():
    out = []
    for dirpath, dirnames, filenames in os.walk(FIX):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for f in sorted(filenames):
            if TEST_RE.match(f):
                out.append(os.path.relpath(os.path.join(dirpath, f), FIX))
    return sorted(out)


def run(rel, seed):
    env = dict(os.environ)
    env.update(PYTHONHASHSEED=str(seed), PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    p = subprocess.run(
        [PYTHON, os.path.basename(rel)],
        cwd=os.path.join(FIX, os.path.dirname(rel)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        timeout=TIMEOUT,
    )
    data = p.stdout
    if p.returncode != 0:
        if data and not data.endswith(b"\n"):
            data += b"\n"
        data += b"# exit %d\n" % p.returncode
    return data, p.stderr


def main():
    args = sys.argv[1:]
    check = "--check" in args
    filters = [a for a in args if not a.startswith("--")]
    ver = subprocess.run([PYTHON, "-c", "import sys; print(sys.version_info[:2])"], stdout=subprocess.PIPE, text=True)
    if ver.stdout.strip() != "(3, 11)":
        print("runfix-gen: %s is not CPython 3.11 (%s)" % (PYTHON, ver.stdout.strip()), file=sys.stderr)
        return 1
    problems = []
    written = same = exp = 0
    per_area = {}
    for rel in tests():
        if filters and not any(f in rel for f in filters):
            continue
        area = rel.split(os.sep)[0]
        per_area[area] = per_area.get(area, 0) + 1
        base = os.path.join(FIX, rel[:-3])
        with open(base + ".py", encoding="utf-8") as f:
            n = len(f.read().splitlines())
        if not 10 <= n <= 80:
            problems.append("%s: %d lines (want 10-80)" % (rel, n))
        if os.path.exists(base + ".exp"):
            exp += 1
            with open(base + ".exp", encoding="utf-8") as f:
                first = f.readline()
            if not first.startswith("# reason: ") or len(first.strip()) <= len("# reason:"):
                problems.append("%s: .exp must start with '# reason: ...'" % rel)
            if os.path.exists(base + ".out"):
                if check:
                    problems.append("%s: has both .exp and .out" % rel)
                else:
                    os.remove(base + ".out")
            continue
        try:
            out0, err0 = run(rel, 0)
            out1, _ = run(rel, 1)
        except subprocess.TimeoutExpired:
            problems.append("%s: timed out after %d s" % (rel, TIMEOUT))
            continue
        if err0:
            first = err0.decode("utf-8", "replace").strip().splitlines()[-1]
            problems.append("%s: writes to stderr (needs a hand-written .exp): %s" % (rel, first))
            continue
        if out0 != out1:
            problems.append("%s: output differs between two runs (PYTHONHASHSEED 0 and 1)" % rel)
            continue
        old = None
        if os.path.exists(base + ".out"):
            with open(base + ".out", "rb") as f:
                old = f.read()
        if old == out0:
            same += 1
        elif check:
            problems.append("%s: .out %s" % (rel, "missing" if old is None else "out of date"))
        else:
            with open(base + ".out", "wb") as f:
                f.write(out0)
            written += 1
    for p in problems:
        print(p)
    areas = ", ".join("%s %d" % kv for kv in sorted(per_area.items()))
    print(
        "%d fixtures (%s): %d .out up to date, %d written, %d with .exp, %d problems"
        % (sum(per_area.values()), areas, same, written, exp, len(problems))
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
