# A text-processing workload for upyc's VM benchmark (bench/vm_speed.py): builds CSV-like
# records with str.format and % formatting, splits and joins them, replaces, strips,
# slices, searches and changes case, and tallies words -- the kind of string code that
# MicroPython programs run (log lines, simple protocols, config parsing).
# Usage: strings.py [ROUNDS]; prints a deterministic checksum line.
import sys

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
         "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]


def make_lines(seed, n):
    lines = []
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        w1 = WORDS[(x >> 16) % 16]
        w2 = WORDS[(x >> 20) % 16]
        val = (x >> 4) % 10000
        if i % 3 == 0:
            line = "{},{}-{},{},{:>6}".format(i, w1, w2, val, val * 7 % 1000)
        elif i % 3 == 1:
            line = "%d,%s-%s,%d,%6d" % (i, w1, w2, val, val * 7 % 1000)
        else:
            line = str(i) + "," + w1 + "-" + w2 + "," + str(val) + "," + " " * 3 + str(val % 100)
        lines.append("  " + line + " ; note " + w1.upper() + "\n")
    return lines


def process(lines):
    total = 0
    counts = {}
    out = []
    for raw in lines:
        line = raw.strip()
        body, _, note = line.partition(";")
        fields = body.split(",")
        key = fields[1]
        a, b = key.split("-")
        num = int(fields[2])
        extra = int(fields[3].strip())
        total += num + extra
        if a.startswith(b[0]) or b.endswith(a[-1]):
            total += 1
        counts[a] = counts.get(a, 0) + 1
        note = note.strip().replace("note ", "").lower()
        if note != a:
            total += 1000
        swapped = b + "-" + a
        pos = line.find(key)
        total += pos + len(swapped) + line.count("a")
        tail = key[-4:] + key[:2]
        out.append(tail.upper() + "|" + note[1:3] + "|" + fields[0][-3:])
    joined = ";".join(out)
    return total, counts, joined


def run(rounds):
    total = 0
    hashv = 0
    tally = {}
    for r in range(rounds):
        lines = make_lines(r + 1, 400)
        t, counts, joined = process(lines)
        total += t
        for k in counts:
            tally[k] = tally.get(k, 0) + counts[k]
        parts = joined.split(";")
        sample = " ".join(parts[::37])
        for ch in sample:
            hashv = (hashv * 131 + ord(ch)) & 0xFFFFFFF
        total += len(joined) + joined.count("|A")
    summary = ",".join("%s=%d" % (k, tally[k]) for k in sorted(tally))
    return total, hashv, summary


rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 600
total, hashv, summary = run(rounds)
print("strings", rounds, total, hashv)
print(summary)
