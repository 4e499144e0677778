x = "a" b"x"
