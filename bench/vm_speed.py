#!/usr/bin/env python3
"""VM speed: `upyc run` against CPython 3.11 on the programs in bench/vm/.

Each program (pystone, nqueens, fannkuch, raytrace, nbody, strings, dictclass) runs 0.5-2 s
under CPython and prints a short deterministic checksum; all seven give CPython's output
on MicroPython 1.29 too (checked on its WebAssembly port, tests/wasm/run.mjs). For each
program the two interpreters run alternately (CPython, upyc, CPython, upyc, ...) for
--rounds rounds, so that drift in machine load hits both alike; the best time of each is
kept. Every run's stdout must equal CPython's first stdout, else upyc's result is "wrong
output"; a non-zero exit is reported with the last line of stderr. Failed programs are
listed in the table and left out of the geometric mean (counted separately).

Two figures per run, both from posix_spawn + wait4:
- wall: spawn to exit, as seen by this script (the issue's measure: ratio = upyc / CPython);
- cpu: the process's user + system CPU time (from its rusage). On a shared machine this
  varies less than wall time, because time spent waiting for a core is not counted.

The goal (the runtime issue): geometric mean of the ratios at most 2.0, i.e. no slower than
MicroPython's own VM, which takes about 2x CPython's time on such programs.

With --callgrind it instead runs each program once, with a short argument set, under
`valgrind --tool=callgrind` and prints instruction counts (repeatable, unlike time). The
short runs are dominated less by the interpreter loop than the full runs (start-up and
compile are a larger share), so their ratios are indicative only.

Usage: bench/vm_speed.py [--rounds N] [--upyc PATH] [--baseline PATH]... [--python PATH]
                         [--callgrind] [NAMES...]
--baseline times another upyc build (e.g. an older commit's) in the same rounds, interleaved
with the others, and prints its ratios after the main table.
Needs: cargo build --release -p upyc (target/release/upyc, or $CARGO_TARGET_DIR/release/upyc).

Profiling the VM on one program (function-level hot spots with source lines):
  CARGO_PROFILE_RELEASE_DEBUG=true CARGO_TARGET_DIR=target/h-prof cargo build --release -p upyc
  valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
      target/h-prof/release/upyc run bench/vm/pystone.py 25000
  callgrind_annotate --inclusive=no /tmp/cg.out | head -40
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VM_DIR = os.path.join(ROOT, "bench", "vm")
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
UPYC = os.path.join(TARGET_DIR, "release/upyc")

# (name, arguments for the timed run, arguments for the short --callgrind run).
# The timed arguments are each program's defaults (0.5-2 s under CPython 3.11).
PROGRAMS = [
    ("pystone", [], ["25000"]),
    ("nqueens", [], ["9", "2"]),
    ("fannkuch", [], ["8", "1"]),
    ("raytrace", [], ["60"]),
    ("nbody", [], ["7500"]),
    ("strings", [], ["30"]),
    ("dictclass", [], ["15000"]),
]
# The goal: geometric mean of upyc/CPython time ratios at most this.
GOAL_RATIO = 2.0


def real_python(name):
    """The interpreter binary behind `name` (pyenv's shim is a shell script that adds
    ~0.1-0.3 s per start; timing the shim would flatter upyc)."""
    r = subprocess.run(
        [name, "-c", "import sys; print(sys.executable); print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    exe, version = r.stdout.splitlines()
    if version != "(3, 11)":
        print(f"warning: {exe} is Python {version}, not 3.11", file=sys.stderr)
    return exe


def run_once(argv):
    """Runs argv to completion; returns (wall s, cpu s, exit code, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        pid = os.posix_spawn(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ],
        )
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        return wall, ru.ru_utime + ru.ru_stime, code, out.read(), err.read()


def failure(code, stdout, stderr, expected):
    """None if the run is good, else a short reason."""
    if code != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else ""
        return f"exit {code}: {last[:60]}"
    if stdout != expected:
        return "wrong output"
    return None


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def bench_times(progs, python, upycs, rounds):
    """Times CPython and each upyc binary in upycs (the first is the one reported in full;
    the others, e.g. a baseline build, get a ratio table after it)."""
    upyc = upycs[0]
    print(f"CPython: {python}\nupyc:    {upyc}\nrounds:  {rounds} (best of each)\n")
    for other in upycs[1:]:
        print(f"also:    {other}")
    head = (
        f"{'program':<10} {'CPython s':>9} {'upyc s':>8} {'ratio':>6}   "
        f"{'cpu: CPy':>8} {'upyc':>6} {'ratio':>6}"
    )
    print(head)
    print("-" * len(head))
    wall_ratios, cpu_ratios, failed = [], [], []
    # Per extra binary: list of (name, wall ratio, cpu ratio) or (name, reason).
    others = {b: [] for b in upycs[1:]}
    for name, args, _ in progs:
        path = os.path.join(VM_DIR, name + ".py")
        py_best = (float("inf"), float("inf"))
        best = {b: (float("inf"), float("inf")) for b in upycs}
        why = {b: None for b in upycs}
        expected = None
        for _ in range(rounds):
            w, c, st, out, err = run_once([python, path] + args)
            if st != 0:
                sys.exit(f"CPython failed on {name}: {err.decode(errors='replace')}")
            if expected is None:
                expected = out
            elif out != expected:
                sys.exit(f"CPython's output of {name} is not deterministic")
            py_best = (min(py_best[0], w), min(py_best[1], c))
            for b in upycs:
                if why[b] is None:
                    w, c, st, out, err = run_once([b, "run", path] + args)
                    why[b] = failure(st, out, err, expected)
                    if why[b] is None:
                        best[b] = (min(best[b][0], w), min(best[b][1], c))
        for b in upycs[1:]:
            if why[b] is None:
                others[b].append((name, best[b][0] / py_best[0], best[b][1] / py_best[1]))
            else:
                others[b].append((name, why[b]))
        if why[upyc] is not None:
            failed.append(name)
            print(
                f"{name:<10} {py_best[0]:>9.3f} {'FAIL':>8} {'-':>6}   {py_best[1]:>8.3f}  "
                f"{why[upyc]}"
            )
            continue
        up_best = best[upyc]
        wr, cr = up_best[0] / py_best[0], up_best[1] / py_best[1]
        wall_ratios.append(wr)
        cpu_ratios.append(cr)
        print(
            f"{name:<10} {py_best[0]:>9.3f} {up_best[0]:>8.3f} {wr:>6.2f}   "
            f"{py_best[1]:>8.3f} {up_best[1]:>6.3f} {cr:>6.2f}"
        )
    print("-" * len(head))
    n = len(wall_ratios)
    gw, gc = geomean(wall_ratios), geomean(cpu_ratios)
    print(f"{'geomean':<10} {'':>18} {gw:>6.2f}   {'':>15} {gc:>6.2f}   ({n} programs)")
    print(f"failed: {len(failed)}" + (f" ({', '.join(failed)})" if failed else ""))
    verdict = "meets" if n and gw <= GOAL_RATIO else "misses"
    print(f"goal: geomean wall ratio <= {GOAL_RATIO} (MicroPython's VM); {verdict} it")
    for b, rows in others.items():
        print(f"\n{b} against CPython, same rounds:")
        print(f"{'program':<10} {'wall ratio':>10} {'cpu ratio':>10}")
        ws, cs = [], []
        for row in rows:
            if len(row) == 2:
                print(f"{row[0]:<10} FAIL  {row[1]}")
                continue
            ws.append(row[1])
            cs.append(row[2])
            print(f"{row[0]:<10} {row[1]:>10.2f} {row[2]:>10.2f}")
        print(f"{'geomean':<10} {geomean(ws):>10.2f} {geomean(cs):>10.2f}   ({len(ws)} programs)")


def callgrind_count(argv):
    """Instructions executed by argv under callgrind; also its stdout and exit status."""
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out"] + argv,
            capture_output=True,
        )
        m = re.search(rb"Collected\s*:\s*(\d+)", r.stderr)
        return (int(m.group(1)) if m else None), r.returncode, r.stdout, r.stderr


def bench_callgrind(progs, python, upyc):
    print("Instructions (valgrind --tool=callgrind), one short run each\n")
    head = f"{'program':<10} {'args':<8} {'CPython Ir':>14} {'upyc Ir':>14} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    ratios, failed = [], []
    for name, _, short in progs:
        path = os.path.join(VM_DIR, name + ".py")
        py_ir, st, expected, err = callgrind_count([python, path] + short)
        if st != 0 or py_ir is None:
            sys.exit(f"CPython failed on {name} under callgrind: {err[-300:]!r}")
        up_ir, st, out, err = callgrind_count([upyc, "run", path] + short)
        why = failure(st, out, err, expected)
        label = " ".join(short)
        if why is not None or up_ir is None:
            failed.append(name)
            print(f"{name:<10} {label:<8} {py_ir:>14,} {'FAIL':>14} {'-':>6}  {why}")
            continue
        ratios.append(up_ir / py_ir)
        print(f"{name:<10} {label:<8} {py_ir:>14,} {up_ir:>14,} {up_ir / py_ir:>6.2f}")
    print("-" * len(head))
    gm = geomean(ratios)
    print(f"{'geomean':<10} {'':<38} {gm:>6.2f}   ({len(ratios)} programs)")
    print(f"failed: {len(failed)}" + (f" ({', '.join(failed)})" if failed else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="runs per interpreter (default 3)")
    ap.add_argument("--upyc", default=UPYC, help=f"upyc binary (default {UPYC})")
    ap.add_argument("--python", default="python3", help="CPython 3.11 (default python3)")
    ap.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="PATH",
        help="another upyc binary timed in the same rounds (e.g. a build of an older "
        "commit); repeatable",
    )
    ap.add_argument("--callgrind", action="store_true", help="instruction counts instead")
    ap.add_argument("names", nargs="*", help="programs to run (default all)")
    a = ap.parse_args()
    known = [p[0] for p in PROGRAMS]
    for n in a.names:
        if n not in known:
            ap.error(f"unknown program {n!r}; known: {', '.join(known)}")
    progs = [p for p in PROGRAMS if not a.names or p[0] in a.names]
    if not os.path.exists(a.upyc):
        sys.exit(f"{a.upyc} not found: build it with cargo build --release -p upyc")
    python = real_python(a.python)
    if a.callgrind:
        bench_callgrind(progs, python, a.upyc)
    else:
        for b in a.baseline:
            if not os.path.exists(b):
                sys.exit(f"{b} not found")
        bench_times(progs, python, [a.upyc] + a.baseline, max(1, a.rounds))


if __name__ == "__main__":
    main()
