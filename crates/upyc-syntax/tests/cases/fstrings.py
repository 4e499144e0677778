x = 1; y = "s"; w = 5
a = f"{x}"
b = f"plain"
c = f"{x!r} {y!s:>10} {x:{w}}"
d = f"{{}} {x}" "tail {}" f"{y}"
e = f"{x=}" f"{x = }" f'{x!=y}'
g = rf"\d{x}\n" fr'{y}\t'
h = f"""multi
{x
+ 1}
line"""
i = f"{'a' if x else 'b'}"
j = f"{[1,2][0]}" f"{ {1:2}[1] }"
k = "abc" f"def"
l = f"{x:=5}"
m = f"{f'{x}'}"
n = F"{x}" if 0 else None
