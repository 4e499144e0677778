x = t"a}b"
