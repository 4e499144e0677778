# N-queens for upyc's VM benchmark (bench/vm_speed.py): counts all placements of N
# non-attacking queens two ways -- recursive backtracking over column/diagonal flags in
# lists, and a generator-based search that yields each solution as a tuple -- so both
# plain calls and generator resumption are exercised.
# Usage: nqueens.py [N] [REPEAT]; prints a deterministic checksum line.
import sys


def count_backtrack(n):
    cols = [False] * n
    diag1 = [False] * (2 * n)
    diag2 = [False] * (2 * n)

    def place(row):
        if row == n:
            return 1
        total = 0
        for c in range(n):
            d1 = row + c
            d2 = row - c + n
            if not cols[c] and not diag1[d1] and not diag2[d2]:
                cols[c] = diag1[d1] = diag2[d2] = True
                total += place(row + 1)
                cols[c] = diag1[d1] = diag2[d2] = False
        return total

    return place(0)


def solutions(n, row=0, placed=()):
    if row == n:
        yield placed
        return
    for c in range(n):
        ok = True
        for r, pc in enumerate(placed):
            if pc == c or row - r == abs(c - pc):
                ok = False
                break
        if ok:
            for s in solutions(n, row + 1, placed + (c,)):
                yield s


def main(n, repeat):
    total = 0
    first = None
    check = 0
    for _ in range(repeat):
        total += count_backtrack(n)
    count = 0
    for s in solutions(n):
        if first is None:
            first = s
        count += 1
        for i, c in enumerate(s):
            check = (check * 31 + c * (i + 1)) & 0xFFFFFF
    print("nqueens", n, total, count, first, check)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 30
main(n, repeat)
