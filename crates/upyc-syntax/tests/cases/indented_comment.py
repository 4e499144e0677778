  
# c
    # c2
x = 1
