#!/usr/bin/env python3
"""Regenerates the oracle snapshots of the upyc-syntax tests from a debug build of mpy-cross.

The binary must be an mpy-cross 1.29 that prints its parse tree (in the text that
`upyc_syntax::dump::dump_bytes` prints) when the environment variable UPYC_PRINT_TREE is set,
and otherwise writes the same .mpy files as the release oracle. None is part of this repository.

usage: regen.py PATH-TO-DEBUG-MPY-CROSS [STDLIB-DIR]
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.abspath(os.path.join(TESTS, "..", "..", ".."))


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def flags(path):
    """mpy-cross options from a first line `# mpy-cross: FLAGS`."""
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8", "replace")
    if first.startswith("# mpy-cross:"):
        return first.split(":", 1)[1].split()
    return []


def run(mpy, directory, name):
    env = dict(os.environ, UPYC_PRINT_TREE="1")
    args = [mpy] + flags(os.path.join(directory, name)) + [name]
    try:
        return subprocess.run(args, cwd=directory, capture_output=True, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        return None


def error_summary(stderr):
    """`LINE EXCEPTION: MESSAGE` from mpy-cross's stderr (LINE is 0 without a traceback)."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    line = 0
    for text in lines:
        if text.startswith('  File "'):
            line = int(text.rsplit("line ", 1)[1])
    return "%d %s" % (line, lines[-1] if lines else "")


def hashes(mpy, directory, out_name):
    lines = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".py"):
            continue
        r = run(mpy, directory, name)
        if r is None:
            continue
        if r.returncode == 0:
            lines.append("%s tree %016x\n" % (name, fnv1a(r.stdout)))
        else:
            lines.append("%s error %s\n" % (name, error_summary(r.stderr)))
    with open(os.path.join(HERE, out_name), "w") as f:
        f.writelines(lines)


def main():
    mpy = os.path.abspath(sys.argv[1])
    cases = os.path.join(TESTS, "cases")
    for name in sorted(os.listdir(cases)):
        if not name.endswith(".py"):
            continue
        base = os.path.join(cases, name[:-3])
        for ext in (".tree", ".err"):
            if os.path.exists(base + ext):
                os.remove(base + ext)
        r = run(mpy, cases, name)
        if r is None:
            continue
        if r.returncode == 0:
            with open(base + ".tree", "wb") as f:
                f.write(r.stdout)
        else:
            with open(base + ".err", "wb") as f:
                f.write(r.stderr)
    hashes(mpy, os.path.join(ROOT, "fixtures", "compile", "valid"), "valid_fixtures.txt")
    hashes(mpy, os.path.join(ROOT, "fixtures", "compile", "invalid"), "invalid_fixtures.txt")
    if len(sys.argv) > 2:
        hashes(mpy, sys.argv[2], "stdlib.txt")


if __name__ == "__main__":
    main()
