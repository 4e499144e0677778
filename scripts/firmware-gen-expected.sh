#!/bin/sh
# Write firmware/programs/NAME.out, CPython 3.11's stdout for each firmware/programs/NAME.py:
# the expected output of the firmware that runs NAME.py in QEMU (cli/tests/firmware_qemu.rs).
# Usage: scripts/firmware-gen-expected.sh [--check]   (--check: write nothing, exit 1 if stale)
set -eu
cd "$(dirname "$0")/../firmware/programs"
PYTHON=${PYTHON:-python3}
status=0
for py in *.py; do
    out="${py%.py}.out"
    # Programs marked "firmware-only" (e.g. one that exhausts the heap) have no CPython run.
    if head -n 1 "$py" | grep -q "firmware-only"; then
        continue
    fi
    # A program may end with an uncaught exception: only its stdout is expected output.
    "$PYTHON" "$py" > "$out.tmp" 2>/dev/null || true
    if [ "${1:-}" = "--check" ]; then
        if ! cmp -s "$out.tmp" "$out"; then
            echo "stale: firmware/programs/$out" >&2
            status=1
        fi
        rm -f "$out.tmp"
    else
        mv "$out.tmp" "$out"
        echo "wrote firmware/programs/$out"
    fi
done
exit $status
