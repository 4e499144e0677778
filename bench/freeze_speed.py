#!/usr/bin/env python3
"""Frozen code against the same code loaded from .mpy: `upyc run --frozen IMAGE -m NAME`
against `upyc run NAME.mpy` on the programs in bench/vm/ (same .mpy bytes in both).

Frozen raw codes decode their prelude at each call (as MicroPython does) instead of
reading a heap raw code, and import does not copy or build anything per function; this
shows what that costs or saves. The two runs alternate for --rounds rounds, best wall
time kept; outputs must be equal.

usage: bench/freeze_speed.py [--rounds N] [--base OTHER_UPYC] [PROGRAM...]
       (needs target/release/upyc; with --base, instead compares `.mpy` runs of OTHER_UPYC,
       e.g. a build from before the frozen-image hooks, against this one)
"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPYC = os.environ.get("UPYC", os.path.join(ROOT, "target/release/upyc"))


def timed(args, cwd):
    t = time.perf_counter()
    r = subprocess.run(args, cwd=cwd, capture_output=True)
    return time.perf_counter() - t, r.returncode, r.stdout


def main():
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    if not os.path.exists(UPYC):
        sys.exit(f"missing {UPYC}: cargo build --release -p upyc")
    vm_dir = os.path.join(ROOT, "bench/vm")
    progs = sorted(f[:-3] for f in os.listdir(vm_dir) if f.endswith(".py"))
    only = [a for a in sys.argv[1:] if a in progs]
    progs = only or progs
    with tempfile.TemporaryDirectory() as tmp:
        mpys = []
        for p in progs:
            out = os.path.join(tmp, p + ".mpy")
            subprocess.run([UPYC, "compile", "-s", p + ".py", "-o", out,
                            os.path.join(vm_dir, p + ".py")], check=True)
            mpys.append(out)
        img = os.path.join(tmp, "vm.bin")
        subprocess.run([UPYC, "freeze", "--format", "bin", "-o", img] + mpys, check=True)
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        if "--base" in sys.argv:
            base = sys.argv[sys.argv.index("--base") + 1]
            compare(progs, mpys, rounds, ("base", "this", " (.mpy runs)"),
                    lambda p, m: (([base, "run", m], tmp), ([UPYC, "run", m], tmp)))
            return
        compare(progs, mpys, rounds, (".mpy", "frozen", ""),
                lambda p, m: (([UPYC, "run", m], tmp),
                              ([UPYC, "run", "--frozen", img, "-m", p], empty)))


def compare(progs, mpys, rounds, labels, runs):
    """Times the two runs (argv, cwd) that `runs(program, mpy)` gives for each program,
    alternating, best of `rounds`; their outputs must agree. Prints b/a per program and
    the geometric mean."""
    a, b, note = labels
    print(f"{'program':10} {a + ' s':>8} {b + ' s':>9} {b + '/' + a:>12}")
    prod = 1.0
    for p, m in zip(progs, mpys):
        run_a, run_b = runs(p, m)
        best_a = best_b = float("inf")
        for _ in range(rounds):
            ta, rca, outa = timed(*run_a)
            tb, rcb, outb = timed(*run_b)
            if (rca, outa) != (rcb, outb):
                sys.exit(f"{p}: outputs differ")
            best_a, best_b = min(best_a, ta), min(best_b, tb)
        prod *= best_b / best_a
        print(f"{p:10} {best_a:8.3f} {best_b:9.3f} {best_b / best_a:12.3f}")
    print(f"geometric mean {b}/{a}{note}: {prod ** (1 / len(progs)):.3f}")

if __name__ == "__main__":
    main()
