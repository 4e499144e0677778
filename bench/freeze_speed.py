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
            print(f"{'program':10} {'base s':>8} {'this s':>9} {'this/base':>12}")
            prod = 1.0
            for p, m in zip(progs, mpys):
                best_b = best_t = float("inf")
                for _ in range(rounds):
                    tb, rcb, outb = timed([base, "run", m], tmp)
                    tt, rct, outt = timed([UPYC, "run", m], tmp)
                    if (rcb, outb) != (rct, outt):
                        sys.exit(f"{p}: outputs differ")
                    best_b, best_t = min(best_b, tb), min(best_t, tt)
                prod *= best_t / best_b
                print(f"{p:10} {best_b:8.3f} {best_t:9.3f} {best_t / best_b:12.3f}")
            print(f"geometric mean this/base (.mpy runs): {prod ** (1 / len(progs)):.3f}")
            return
        print(f"{'program':10} {'.mpy s':>8} {'frozen s':>9} {'frozen/.mpy':>12}")
        prod = 1.0
        for p, m in zip(progs, mpys):
            best_m = best_f = float("inf")
            for _ in range(rounds):
                tm, rcm, outm = timed([UPYC, "run", m], tmp)
                tf, rcf, outf = timed([UPYC, "run", "--frozen", img, "-m", p], empty)
                if (rcm, outm) != (rcf, outf):
                    sys.exit(f"{p}: outputs differ")
                best_m, best_f = min(best_m, tm), min(best_f, tf)
            prod *= best_f / best_m
            print(f"{p:10} {best_m:8.3f} {best_f:9.3f} {best_f / best_m:12.3f}")
        print(f"geometric mean frozen/.mpy: {prod ** (1 / len(progs)):.3f}")


if __name__ == "__main__":
    main()
