"""Module docstring which is long."""
1
...
None
True
1.5
b"bytes"
"short"
(1, 2)
f"{x}"
x
-1
def f():
    """Function doc."""
    'another'
    return 1
class C:
    "class doc"
    3j
