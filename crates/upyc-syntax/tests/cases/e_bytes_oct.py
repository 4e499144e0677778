x = b"\u1234"
x = b"\xff"
y = b"\777"
