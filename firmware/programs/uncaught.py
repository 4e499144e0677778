# The `uncaught` firmware: prints, then raises through two functions without catching.
# The firmware prints MicroPython's traceback on stderr and exits with status 1.


def check(x):
    if x > 2:
        raise ValueError("too big: %d" % x)
    return x


def run():
    for i in range(5):
        print("checked", check(i))


run()
