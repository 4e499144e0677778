__debug__
x = __debug__
if __debug__: pass
