a = (1, 2)
b = (1,)
c = ()
d = ((1, 2), (3,), ())
e = x[1, 2]
f = 1,
g = 1, 2, "a", None, True, False, ...
def h():
    return 1, 2
for i in 1, 2:
    pass
j = (1, x)
k = [1, 2]
l = {1: 2}
m = (1, 2,)
n = (x for x in y)
o = (yield)
p = [x for x in y if x]
q = {x for x in y}
r = {x: y for x, y in z}
s = (a, *b)
t = [*a, *b]
u = x[1:2, ...]
v = ("a" "b", b"c")
