from micropython import const
A = const(1)
_B = const(2 + A)
C = const(A * 100000000000)
D: int = const(7)
S = const("hello world long string")
T = const((1, 2, ("a", None)))
N = const(None)
E = const(())
F = const(1.5)
print(A, _B, C, D, S, T, N, E, F, A.x, x.A)
def f():
    G = const(3)
    return G + A
print(G, -A, A ** 2)
A = 5
x = const
y = const(1) + 1
z = [const(2)]
_H, I = const(1), 2
_J = const(-1)
print(_J, _H)
