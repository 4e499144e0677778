name = "w"
a = t"hello {name}"
b = t"{name!r:>10} and {name=} {name = } {name!s}"
c = tr"\d{name}\n" rt'{name}'
d = t"""multi
line {name}
"""
e = t"{name:{name}}" t"x" "y"
f = t"{{}} {name}"
g = t"{name:>{name}}"
h = t"a\tb\\{name}'q"
