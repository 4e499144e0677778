#!/usr/bin/env python3
"""Where the flash of a firmware ELF goes, by source file and by inlined function.

Needs an ELF with DWARF line info: build the firmware with debug info (it does not change
the code), e.g. from firmware/:

    CARGO_PROFILE_RELEASE_DEBUG=true CARGO_TARGET_DIR=target/dbg RUSTC=/usr/bin/rustc \\
        RUSTC_BOOTSTRAP=1 /usr/bin/cargo build --release --bin hello [--no-default-features]

Usage:
    scripts/flash-attribution.py files ELF [TOP]     bytes per source file (each symbol
                                                     counted at the file of its outermost
                                                     function)
    scripts/flash-attribution.py inlined ELF [TOP]   bytes of code inlined from each function
                                                     into others, over the whole .text
                                                     (duplicated helpers show up here)
    scripts/flash-attribution.py symbol ELF SYMBOL [TOP]
                                                     what one function (demangled name as
                                                     `nm -C` prints it) is made of, by the
                                                     innermost function of each instruction

Uses arm-none-eabi-nm, arm-none-eabi-objdump and addr2line (binutils).
"""

import collections
import os
import re
import subprocess
import sys

CHUNK = 4000
# Source paths are shown relative to the repository.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"


def run(args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def symbols(elf):
    """(address, size, demangled name) of the code and read-only data symbols in flash."""
    out = []
    for line in run(["arm-none-eabi-nm", "-S", "-C", elf]).splitlines():
        p = line.split(None, 3)
        if len(p) == 4 and p[2] in "TtRrDd" and not p[3].startswith("$"):
            addr = int(p[0], 16)
            if addr < 0x2000_0000:
                out.append((addr, int(p[1], 16), p[3].strip()))
    return out


def addr2line(elf, addrs, functions):
    """For each address, the list of lines `addr2line -i` gives (innermost first)."""
    blocks = []
    flags = ["-a", "-i", "-C"] + (["-f"] if functions else [])
    for i in range(0, len(addrs), CHUNK):
        cur = None
        for line in run(["addr2line", *flags, "-e", elf] + [hex(a) for a in addrs[i : i + CHUNK]]).splitlines():
            if line.startswith("0x"):
                if cur is not None:
                    blocks.append(cur)
                cur = []
            else:
                cur.append(line)
        if cur is not None:
            blocks.append(cur)
    return blocks


def instructions(elf, start=None, stop=None):
    args = ["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", "-j", ".text"]
    if start is not None:
        args += [f"--start-address={start}", f"--stop-address={stop}"]
    addrs = sorted(
        int(m.group(1), 16)
        for m in (re.match(r"\s+([0-9a-f]+):\s", l) for l in run(args + [elf]).splitlines())
        if m
    )
    return addrs


def show(counter, top):
    print(f"{sum(counter.values())} bytes in all")
    for name, size in counter.most_common(top):
        print(f"{size:8d}  {name[:140]}")


def by_file(elf, top):
    syms = symbols(elf)
    c = collections.Counter()
    for (_, size, name), lines in zip(syms, addr2line(elf, [a & ~1 for a, _, _ in syms], False)):
        f = lines[-1].split(":")[0] if lines else "??"
        c[name if f == "??" else f.replace(ROOT, "")] += size
    show(c, top)


def inlined(elf, addrs, top, innermost_only_if_inlined):
    c = collections.Counter()
    blocks = addr2line(elf, addrs[:-1], True)
    for k, lines in enumerate(blocks):
        size = addrs[k + 1] - addrs[k]
        inner = lines[0] if lines else "?"
        outer = lines[-2] if len(lines) >= 2 else "?"
        if not innermost_only_if_inlined or inner != outer:
            c[inner] += size
    show(c, top)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("files", "inlined", "symbol"):
        sys.exit(__doc__)
    cmd, elf = sys.argv[1], sys.argv[2]
    if cmd == "files":
        by_file(elf, int(sys.argv[3]) if len(sys.argv) > 3 else 40)
    elif cmd == "inlined":
        addrs = instructions(elf)
        # The last instruction's size is unknown: it is left out.
        inlined(elf, addrs, int(sys.argv[3]) if len(sys.argv) > 3 else 40, True)
    else:
        if len(sys.argv) < 4:
            sys.exit(__doc__)
        want = sys.argv[3]
        found = [(a, s) for a, s, name in symbols(elf) if name == want]
        if not found:
            sys.exit(f"flash-attribution: no symbol {want!r} in {elf}")
        start, size = found[0]
        start &= ~1
        addrs = instructions(elf, start, start + size) + [start + size]
        print(f"{want}: {size} bytes at {start:#x}")
        inlined(elf, addrs, int(sys.argv[4]) if len(sys.argv) > 4 else 40, False)


if __name__ == "__main__":
    main()
