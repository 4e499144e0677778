#!/bin/sh
# Flash and RAM of upyc-runtime on a Cortex-M (release: fat LTO, one codegen unit), from
# arm-none-eabi-size of these firmware ELFs (firmware/), each built twice: with the
# firmware profile's opt-level "z" and with opt-level "s" (DESIGN.md's reference setting):
#   baseline  the board support alone (semihosting console, exit, fault handlers);
#   hello     baseline + runtime with its default features (mpy-load included) + hello.mpy;
#   frozen    the firmware's default: the same without mpy-load, running programs/hello.py
#             from the frozen image of programs/ (the .mpy loader is not linked);
#   minimal   hello built with --no-default-features (no float, complex, bigint, set,
#             str-extra, struct, bytearray, error-text, board, mpy-load: frozen only);
#   minimal+load  minimal with the .mpy loader (as MicroPython's reference build, which
#             loads .mpy: bench/mp_flash_reference.sh);
#   minimal+text  minimal+load with the runtime's exception messages (feature error-text).
# The runtime's share is text - baseline - the program data the binary embeds (hello.mpy,
# or the frozen image of programs/); both are printed.
# With qemu-system-arm on PATH, each hello is also run and its stack peak (the firmware's
# stack painting) and heap use are printed. Also checks that core::fmt is not linked and
# lists the largest symbols.
#
# Usage: scripts/firmware-size.sh [TARGET] [TOP]
#   TARGET  thumbv7m-none-eabi (default) or thumbv6m-none-eabi
#   TOP     how many of the largest symbols to list (default 15)
# OPTS="z" builds only with opt-level "z" (default "z s").
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

build() { # build OPT NAME BIN [CARGO ARGS...]
    opt=$1 name=$2 bin=$3
    shift 3
    # opt-level "s" builds in a target directory of their own, so that switching does not
    # rebuild everything each time.
    dir="$FW/target"
    [ "$opt" = z ] || dir="$FW/target/opt-$opt"
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_TARGET \
        CARGO_TARGET_DIR="$dir" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
        /usr/bin/cargo build --quiet --release --target "$TARGET" --bin "$bin" "$@"
    cp "$dir/$TARGET/release/$bin" "$OUT/$TARGET-$opt-$name.elf"
}

# text, data, bss of an ELF.
tdb() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $1, $2, $3 }'; }

# "stack peak, heap peak" of a hello run in QEMU (empty without QEMU).
run_stats() {
    command -v qemu-system-arm >/dev/null 2>&1 || return 0
    cpu=cortex-m3
    [ "$TARGET" = thumbv6m-none-eabi ] && cpu=cortex-m0
    err=$(timeout -k 5 60 qemu-system-arm -cpu "$cpu" -machine lm3s6965evb -nographic \
        -semihosting-config enable=on,target=native -kernel "$1" 2>&1 >/dev/null || true)
    stack=$(echo "$err" | sed -n 's/^stack: peak \([0-9]*\) bytes.*/\1/p')
    heap=$(echo "$err" | sed -n 's/.*peak use \([0-9]*\),.*/\1/p')
    echo "stack peak $stack B, heap peak $heap B"
}

OPTS=${OPTS:-"z s"}
FIRST_OPT=${OPTS%% *}
NAMES="hello frozen minimal minimal+load minimal+text"
for opt in $OPTS; do
    build $opt baseline baseline
    build $opt hello hello --features mpy-load
    build $opt frozen hello
    build $opt minimal hello --no-default-features
    build $opt minimal+load hello --no-default-features --features mpy-load
    build $opt minimal+text hello --no-default-features --features mpy-load,error-text
done

# The program data each build embeds: the newest hello.mpy and frozen image build.rs wrote.
newest() { ls -t "$FW/target/$TARGET/release/build"/upyc-firmware-*/out/"$1" 2>/dev/null | head -n 1; }
size_of() { f=$(newest "$1"); if [ -n "$f" ]; then wc -c < "$f"; else echo 0; fi; }
mpy_size=$(size_of hello.mpy)
image_size=$(size_of programs/upyc_frozen.bin)

echo "target $TARGET, fat LTO (bytes; data+bss include the VM heap)"
printf '%-40s %8s %6s %6s\n' firmware text data bss
for opt in $OPTS; do
    set -- $(tdb "$OUT/$TARGET-$opt-baseline.elf")
    base_text=$1
    printf '%-40s %8s %6s %6s\n' "opt-level $opt: baseline (no runtime)" "$1" "$2" "$3"
    for name in $NAMES; do
        set -- $(tdb "$OUT/$TARGET-$opt-$name.elf")
        case $name in
            hello) label="default features (mpy-load)"; data=$mpy_size ;;
            frozen) label="default, frozen only"; data=$image_size ;;
            minimal) label="minimal, frozen only"; data=$image_size ;;
            minimal+load) label="minimal + mpy-load"; data=$mpy_size ;;
            *) label="minimal + mpy-load + error-text"; data=$mpy_size ;;
        esac
        printf '%-40s %8s %6s %6s   runtime share: %s  %s\n' "opt-level $opt: $label" \
            "$1" "$2" "$3" "$(($1 - base_text - data))" "$(run_stats "$OUT/$TARGET-$opt-$name.elf")"
    done
done

echo "program data excluded from each share: hello.mpy $mpy_size bytes," \
    "frozen image of programs/ $image_size bytes"
echo "features: default = float complex bigint set str-extra struct bytearray error-text board" \
    "mpy-load; minimal = none (also: gc-stress, std)"

for name in $NAMES; do
    elf="$OUT/$TARGET-$FIRST_OPT-$name.elf"
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

echo "largest symbols (hello, default features, opt-level $FIRST_OPT):"
arm-none-eabi-nm --size-sort -S -C "$OUT/$TARGET-$FIRST_OPT-hello.elf" | grep -v ' [bB] ' | tail -n "$TOP" \
    | while read -r _addr size _kind name; do printf '%8d  %s\n' "0x$size" "$name"; done
