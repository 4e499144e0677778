# firmware-only: CPython would grow this list until the machine runs out of memory.
# The `oom` firmware: a program that runs out of heap must end with MemoryError printed
# and a non-zero exit status, not a fault.
keep = []
while True:
    keep.append([0, 1, 2, 3])
