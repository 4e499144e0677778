# Fannkuch-redux for upyc's VM benchmark (bench/vm_speed.py): for every permutation of
# 1..N (generated in place by the counting method), repeatedly reverse the first k
# elements where k is the first element, counting flips. Reports the maximum flip count
# and the alternating-sign checksum of flip counts. List indexing, slicing, swaps and
# tight while loops.
# Usage: fannkuch.py [N] [REPEAT]; prints a deterministic checksum line.
import sys


def fannkuch(n):
    perm1 = list(range(n))
    count = [0] * n
    max_flips = 0
    checksum = 0
    sign = 1
    r = n
    nperm = 0
    while True:
        while r != 1:
            count[r - 1] = r
            r -= 1
        first = perm1[0]
        if first != 0:
            perm = perm1[:]
            flips = 0
            k = first
            while k != 0:
                # reverse perm[0..k] in place
                i = 0
                j = k
                while i < j:
                    t = perm[i]
                    perm[i] = perm[j]
                    perm[j] = t
                    i += 1
                    j -= 1
                flips += 1
                k = perm[0]
            if flips > max_flips:
                max_flips = flips
            checksum += flips if sign > 0 else -flips
        nperm += 1
        sign = -sign
        # next permutation: rotate the first r+1 elements left, until a count is non-zero
        while True:
            if r == n:
                return checksum, max_flips, nperm
            p0 = perm1[0]
            i = 0
            while i < r:
                perm1[i] = perm1[i + 1]
                i += 1
            perm1[r] = p0
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1


n = int(sys.argv[1]) if len(sys.argv) > 1 else 9
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 2
for _ in range(repeat):
    checksum, max_flips, nperm = fannkuch(n)
print("fannkuch", n, repeat, checksum, max_flips, nperm)
