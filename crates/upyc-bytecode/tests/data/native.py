# Native, viper and inline-assembler functions (compiled with -march=armv7m).
import micropython

@micropython.native
def nat(a, b=1):
    return a + b

@micropython.viper
def vip(x: int) -> int:
    return x * 2

@micropython.asm_thumb
def asm(r0, r1):
    add(r0, r0, r1)

def outer():
    @micropython.native
    def inner():
        return [i for i in range(3)]
    return inner

@micropython.viper
def vouter():
    @micropython.viper
    def vinner() -> int:
        return 123
    return vinner
