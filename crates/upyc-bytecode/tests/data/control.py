# Control flow: loops, try/except/finally, with, break/continue through handlers.
def loops(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        if i > 50:
            break
        total += i
    else:
        total = -1
    while total > 0:
        total -= 7
        if total == 5:
            break
    return total

def handlers(x):
    try:
        y = 1 / x
    except ZeroDivisionError as e:
        print("zero", e)
        raise ValueError("bad") from e
    except (TypeError, KeyError):
        return None
    else:
        y += 1
    finally:
        print("done")
    return y

def unwind(items):
    for it in items:
        try:
            with open(it) as fh:
                for line in fh:
                    if line:
                        break
                    try:
                        continue
                    finally:
                        pass
        finally:
            print(it)
    return 0

def cond(a, b, c):
    return (a and b) or (not c) and a < b < c or (a if b else c)

def assertion(v):
    assert v, "message"
    assert v > 1
    raise
