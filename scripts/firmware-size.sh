#!/bin/sh
# Flash and RAM of upyc-runtime on a Cortex-M (release: opt-level "s", fat LTO, one codegen
# unit), from arm-none-eabi-size of three firmware ELFs (firmware/):
#   baseline  the board support alone (semihosting console, exit, fault handlers);
#   hello     baseline + runtime with its default features + programs/hello.py;
#   minimal   hello built with --no-default-features (no float, complex, bigint, set).
# The runtime's share is hello - baseline (it includes the embedded .mpy, printed too).
# Also checks that core::fmt is not linked and lists the largest symbols.
#
# Usage: scripts/firmware-size.sh [TARGET] [TOP]
#   TARGET  thumbv7m-none-eabi (default) or thumbv6m-none-eabi
#   TOP     how many of the largest symbols to list (default 15)
# Needs Debian's rustc-web/cargo-web, rust-web-src, lld and binutils-arm-none-eabi
# (docs: shared recipe cortex-m.md; CI's .ci/run installs them).
set -eu
TARGET=${1:-thumbv7m-none-eabi}
TOP=${2:-15}
FW="$(cd "$(dirname "$0")/../firmware" && pwd)"
OUT="$FW/target/size"
mkdir -p "$OUT"
cd "$FW"

for tool in /usr/bin/rustc /usr/bin/cargo arm-none-eabi-size arm-none-eabi-nm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "firmware-size: $tool not found; install: apt-get install -y --no-install-recommends" \
            "rustc-web cargo-web rust-web-src rust-web-llvm binutils-arm-none-eabi" >&2
        exit 2
    fi
done

build() { # build NAME BIN [CARGO ARGS...]
    name=$1 bin=$2
    shift 2
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_TARGET \
        CARGO_TARGET_DIR="$FW/target" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        /usr/bin/cargo build --quiet --release --target "$TARGET" --bin "$bin" "$@"
    cp "$FW/target/$TARGET/release/$bin" "$OUT/$TARGET-$name.elf"
}

build baseline baseline
build hello hello
build minimal hello --no-default-features

# text, data, bss of an ELF.
tdb() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $1, $2, $3 }'; }

# The newest hello.mpy that build.rs wrote.
mpy=$(ls -t "$FW/target/$TARGET/release/build"/upyc-firmware-*/out/hello.mpy 2>/dev/null | head -n 1)
mpy_size=$( [ -n "$mpy" ] && wc -c < "$mpy" || echo "?")

echo "target $TARGET, opt-level s, fat LTO (bytes; data+bss include the VM heap)"
printf '%-34s %8s %6s %6s\n' firmware text data bss
set -- $(tdb "$OUT/$TARGET-baseline.elf")
base_text=$1
printf '%-34s %8s %6s %6s\n' "baseline (no runtime)" "$1" "$2" "$3"
for name in hello minimal; do
    set -- $(tdb "$OUT/$TARGET-$name.elf")
    label="hello, default features"
    [ "$name" = minimal ] && label="hello, minimal features"
    printf '%-34s %8s %6s %6s   runtime share: %s\n' "$label" "$1" "$2" "$3" "$(($1 - base_text))"
done
echo "hello.mpy embedded: $mpy_size bytes (part of each runtime share)"
echo "features: default = float complex bigint set; minimal = none (also: gc-stress, std)"

for name in hello minimal; do
    elf="$OUT/$TARGET-$name.elf"
    fmt=$(arm-none-eabi-nm -S -C "$elf" | grep -E ' core::fmt::|<core::fmt::' || true)
    if [ -z "$fmt" ]; then
        echo "$name: core::fmt not linked"
    else
        total=0
        for size in $(echo "$fmt" | awk '{ print $2 }'); do total=$((total + 0x$size)); done
        echo "$name: core::fmt IS linked ($(echo "$fmt" | wc -l) symbols, $total bytes):"
        echo "$fmt"
    fi
    panics=$(arm-none-eabi-nm -C "$elf" | grep -c 'core::panicking::' || true)
    echo "$name: core::panicking entry points linked: $panics (their message is never formatted)"
done

echo "largest symbols (hello, default features):"
arm-none-eabi-nm --size-sort -S -C "$OUT/$TARGET-hello.elf" | grep -v ' [bB] ' | tail -n "$TOP" \
    | while read -r _addr size _kind name; do printf '%8d  %s\n' "0x$size" "$name"; done
