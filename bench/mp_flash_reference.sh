#!/bin/sh
# MicroPython's own flash size on a Cortex-M3, in configurations next to upyc-runtime's
# feature sets: the reference figure for the runtime's flash goals (docs/PERFORMANCE.md).
#
# Builds MicroPython's `bare-arm` port (GCC -Os, --gc-sections, Thumb-2 for cortex-m3, GC on,
# soft float) without its compiler, loading .mpy from memory (persistent-code load) like
# upyc's `hello` firmware, in these configurations (`text` from arm-none-eabi-size):
#   minimum-none     ROM level MINIMUM, error reporting NONE (bare-arm's own setting)
#   minimum          ROM level MINIMUM, error reporting NORMAL
#   core             ROM level CORE_FEATURES (sys, gc, micropython, math-less, struct,
#                    collections, io, array, set, bytearray, str %), no float, no big ints
#   core-none        core with error reporting NONE (no exception messages)
#   core+default     core + double float (MicroPython's libm_dbl), mpz big ints, complex,
#                    frozenset, memoryview, the str extras, all special methods, descriptors,
#                    deque/OrderedDict, BytesIO, math's special functions, errno
# `core` stands next to upyc's minimal features with error-text, `core-none` next to the
# minimal features (no error-text), `core+default` next to its default ones
# (upyc has no native collections/io/array/json: those are Python in runtime/pylib).
#
# Usage: bench/mp_flash_reference.sh [MICROPYTHON_CHECKOUT] [REF]
#   MICROPYTHON_CHECKOUT  a git clone of micropython (default: clones GitHub into
#                         target/mp-ref); REF the tag or commit to build (default: its HEAD;
#                         v1.28.0 does not build without a compiler and a file reader)
# Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and python3.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC=${1:-}
REF=${2:-HEAD}
WORK="$ROOT/target/mp-ref"
command -v arm-none-eabi-gcc >/dev/null 2>&1 || {
    echo "mp_flash_reference: arm-none-eabi-gcc not found; install: apt-get install -y" \
        "--no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi" >&2
    exit 2
}
rm -rf "$WORK"
mkdir -p "$ROOT/target"
git clone --quiet "${SRC:-https://github.com/micropython/micropython}" "$WORK"
git -C "$WORK" checkout --quiet "$REF"
echo "MicroPython $(git -C "$WORK" describe --tags --always), $(arm-none-eabi-gcc --version | head -1)"

PORT="$WORK/ports/upyc-ref"
cp -r "$WORK/ports/bare-arm" "$PORT"
cd "$PORT"

# The configuration: switches set from the make command line (-D...).
python3 - <<'EOF'
p = "mpconfigport.h"
s = open(p).read()
s = s.replace("(MICROPY_CONFIG_ROM_LEVEL_MINIMUM)", "(ROMLEVEL)", 1)
s = s.replace("#define MICROPY_ENABLE_COMPILER                 (1)",
              "#define MICROPY_ENABLE_COMPILER (0)\n#define MICROPY_PERSISTENT_CODE_LOAD (1)\n#define MICROPY_ENABLE_GC (1)")
s = s.replace("(MICROPY_ERROR_REPORTING_NONE)", "(ERRREP)")
s = s.replace("#define MICROPY_PY_SYS                          (0)",
              "#define MICROPY_PY_SYS (1)\n#define MICROPY_PY_SYS_PLATFORM \"ref\"\n"
              "#define MICROPY_HW_BOARD_NAME \"ref\"\n#define MICROPY_HW_MCU_NAME \"m3\"")
s += """
#ifdef UPYC_DEFAULT
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_DOUBLE)
#define MICROPY_LONGINT_IMPL (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_PY_BUILTINS_COMPLEX (1)
#define MICROPY_PY_BUILTINS_FROZENSET (1)
#define MICROPY_PY_BUILTINS_MEMORYVIEW (1)
#define MICROPY_PY_BUILTINS_STR_CENTER (1)
#define MICROPY_PY_BUILTINS_STR_PARTITION (1)
#define MICROPY_PY_BUILTINS_STR_SPLITLINES (1)
#define MICROPY_PY_BUILTINS_ROUND_INT (1)
#define MICROPY_PY_BUILTINS_NOTIMPLEMENTED (1)
#define MICROPY_PY_ALL_SPECIAL_METHODS (1)
#define MICROPY_PY_REVERSE_SPECIAL_METHODS (1)
#define MICROPY_PY_DESCRIPTORS (1)
#define MICROPY_PY_COLLECTIONS_DEQUE (1)
#define MICROPY_PY_COLLECTIONS_ORDEREDDICT (1)
#define MICROPY_PY_IO_BYTESIO (1)
#define MICROPY_PY_MATH_SPECIAL_FUNCTIONS (1)
#define MICROPY_PY_ERRNO (1)
#endif
"""
open(p, "w").write(s)

# main: load a .mpy from memory and run it (no compiler, no file system).
m = open("main.c").read()
m = m[: m.index("static const char *demo_single_input")] + r'''
#include "py/persistentcode.h"
#include "py/gc.h"
#include "py/builtin.h"
#include "py/lexer.h"
static char heap[8192];
volatile unsigned char prog_mpy[64];
void bare_main(void) {
    gc_init(heap, heap + sizeof(heap));
    mp_init();
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_compiled_module_t cm;
        cm.context = m_new_obj(mp_module_context_t);
        cm.context->module.globals = mp_globals_get();
        mp_raw_code_load_mem((const byte *)prog_mpy, sizeof(prog_mpy), &cm);
        mp_call_function_0(mp_make_function_from_proto_fun(cm.rc, cm.context, MP_OBJ_NULL));
        nlr_pop();
    } else {
        mp_obj_print_exception(&mp_plat_print, (mp_obj_t)nlr.ret_val);
    }
    mp_deinit();
}
void gc_collect(void) {
    gc_collect_start();
    gc_collect_end();
}
mp_lexer_t *mp_lexer_new_from_file(qstr filename) {
    mp_raise_OSError(2);
}
mp_import_stat_t mp_import_stat(const char *path) {
    return MP_IMPORT_STAT_NO_EXIST;
}
mp_obj_t mp_builtin_open(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    mp_raise_OSError(2);
}
MP_DEFINE_CONST_FUN_OBJ_KW(mp_builtin_open_obj, 1, mp_builtin_open);
void nlr_jump_fail(void *val) {
    for (;;) {
    }
}
#ifdef UPYC_DEFAULT
#include <math.h>
#undef log2
double log2(double x) {
    return log(x) * 1.4426950408889634;
}
#endif
'''
open("main.c", "w").write(m)
EOF

LIBM=$(cd "$WORK" && ls lib/libm_dbl/*.c | grep -v thumb_vfp | tr '\n' ' ')
LIBGCC=$(arm-none-eabi-gcc -mthumb -mcpu=cortex-m3 -msoft-float -print-libgcc-file-name)
sed -i -e 's/cortex-m4/cortex-m3/g' \
    -e 's|^SRC_C += lib.c main.c system.c|SRC_C += lib.c main.c system.c $(EXTRA_SRC)\nCFLAGS += $(EXTRA_CFLAGS)|' \
    -e 's|\$(Q)\$(LD) \$(LDFLAGS) -o \$@ \$^|$(Q)$(LD) $(LDFLAGS) -o $@ $^ $(LIBS)|' Makefile

NOWARN="-Wno-double-promotion -Wno-float-conversion -Wno-maybe-uninitialized"
build() { # NAME ROMLEVEL ERRREP [default]
    src="" defs="-DROMLEVEL=MICROPY_CONFIG_ROM_LEVEL_$2 -DERRREP=MICROPY_ERROR_REPORTING_$3"
    if [ "${4:-}" = default ]; then
        src=$LIBM
        defs="$defs -DUPYC_DEFAULT"
    fi
    make --quiet -j"$(nproc)" BUILD="build-$1" LIBS="$LIBGCC" EXTRA_SRC="$src" \
        EXTRA_CFLAGS="$NOWARN $defs" "build-$1/firmware.elf" >"build-$1.log" 2>&1 || {
        tail -20 "build-$1.log" >&2
        exit 1
    }
    printf '%-16s %8s\n' "$1" "$(arm-none-eabi-size "build-$1/firmware.elf" | awk 'NR == 2 { print $1 }')"
}
printf '%-16s %8s\n' configuration text
build minimum-none MINIMUM NONE
build minimum MINIMUM NORMAL
build core CORE_FEATURES NORMAL
build core-none CORE_FEATURES NONE
build core+default CORE_FEATURES NORMAL default
