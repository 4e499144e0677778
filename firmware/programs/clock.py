# The board's clock (firmware `clock`): time runs while the program computes, and sleep
# waits on it. Expected output: clock.out, CPython 3.11's (scripts/firmware-gen-expected.sh).
import time

try:
    ticks_us, ticks_diff, sleep_ms = time.ticks_us, time.ticks_diff, time.sleep_ms
except AttributeError:  # CPython, which makes the expected output

    def ticks_us():
        return time.monotonic_ns() // 1000

    def ticks_diff(a, b):
        return a - b

    def sleep_ms(ms):
        time.sleep(ms / 1000)


t0 = ticks_us()
n = 0
for i in range(200):
    n += i * i
t1 = ticks_us()
print("clock runs while computing:", n, ticks_diff(t1, t0) > 0)
for ms in (1, 20, 250):
    t = ticks_us()
    sleep_ms(ms)
    slept = ticks_diff(ticks_us(), t)
    print("sleep_ms(%d) takes %d ms:" % (ms, ms), ms * 1000 <= slept < ms * 1000 + 5000)
t = time.time()
print("time.time() is a number:", isinstance(t, (int, float)))
