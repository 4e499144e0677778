# A Dhrystone-style integer benchmark written for upyc's VM benchmark (bench/vm_speed.py).
# Exercises records (small classes with fields), procedure calls with parameters and
# globals, integer arithmetic, character comparisons, short strings and a 2-D array.
# Usage: pystone.py [LOOPS]; prints a deterministic checksum line.
import sys

IDENT1 = 1
IDENT2 = 2
IDENT3 = 3
IDENT4 = 4
IDENT5 = 5


class Record:
    def __init__(self, link=None, kind=0, enum_comp=0, int_comp=0, str_comp=""):
        self.link = link
        self.kind = kind
        self.enum_comp = enum_comp
        self.int_comp = int_comp
        self.str_comp = str_comp

    def assign_from(self, other):
        self.link = other.link
        self.kind = other.kind
        self.enum_comp = other.enum_comp
        self.int_comp = other.int_comp
        self.str_comp = other.str_comp


glob_int = 0
glob_bool = False
glob_char_a = "\0"
glob_char_b = "\0"
glob_array = [0] * 51
glob_matrix = [[0] * 51 for _ in range(51)]
glob_ptr = None
next_ptr = None


def proc_one(rec):
    nxt = rec.link
    nxt.assign_from(glob_ptr)
    rec.int_comp = 5
    nxt.int_comp = rec.int_comp
    nxt.link = rec.link
    nxt.link = proc_three(nxt.link)
    if nxt.kind == IDENT1:
        nxt.int_comp = 6
        nxt.enum_comp = proc_six(rec.enum_comp)
        nxt.link = glob_ptr.link
        nxt.int_comp = proc_seven(nxt.int_comp, 10)
    else:
        rec.assign_from(nxt)
    return rec


def proc_two(value):
    loc = value + 10
    while True:
        if glob_char_a == "A":
            loc -= 1
            value = loc - glob_int
            enum_loc = IDENT1
        else:
            enum_loc = IDENT2
        if enum_loc == IDENT1:
            return value


def proc_three(ptr):
    global glob_int
    if glob_ptr is not None:
        ptr = glob_ptr.link
    else:
        glob_int = 100
    glob_ptr.int_comp = proc_seven(10, glob_int)
    return ptr


def proc_four():
    global glob_char_b
    flag = glob_char_a == "A"
    flag = flag or glob_bool
    glob_char_b = "B"
    return flag


def proc_five():
    global glob_char_a, glob_bool
    glob_char_a = "A"
    glob_bool = False


def proc_six(enum_in):
    out = enum_in
    if not func_three(enum_in):
        out = IDENT4
    if enum_in == IDENT1:
        out = IDENT1
    elif enum_in == IDENT2:
        out = IDENT1 if glob_int > 100 else IDENT4
    elif enum_in == IDENT3:
        out = IDENT2
    elif enum_in == IDENT5:
        out = IDENT3
    return out


def proc_seven(a, b):
    return b + a + 2


def proc_eight(arr, mat, a, b):
    global glob_int
    loc = a + 5
    arr[loc] = b
    arr[loc + 1] = arr[loc]
    arr[loc + 30] = loc
    row = mat[loc]
    for i in range(loc, loc + 2):
        row[i] = loc
    row[loc - 1] += 1
    mat[loc + 20][loc] = arr[loc]
    glob_int = 5


def func_one(c1, c2):
    if c1 != c2:
        return IDENT1
    return IDENT2


def func_two(s1, s2):
    i = 1
    while i <= 1:
        if func_one(s1[i], s2[i + 1]) == IDENT1:
            char_loc = "A"
            i += 1
        else:
            char_loc = "\0"
    if "W" <= char_loc <= "Z":
        i = 7
    if char_loc == "X":
        return True
    if s1 > s2:
        return True
    return False


def func_three(enum_in):
    return enum_in == IDENT3


def run(loops):
    global glob_ptr, next_ptr, glob_int
    next_ptr = Record()
    glob_ptr = Record(next_ptr, IDENT1, IDENT3, 40, "DHRYSTONE PROGRAM, SOME STRING")
    str1 = "DHRYSTONE PROGRAM, 1'ST STRING"
    glob_matrix[8][7] = 10
    int1 = int2 = int3 = 0
    enum_loc = IDENT2
    str2 = ""
    for _ in range(loops):
        proc_five()
        proc_four()
        int1 = 2
        int2 = 3
        str2 = "DHRYSTONE PROGRAM, 2'ND STRING"
        enum_loc = IDENT2
        glob_bool_local = not func_two(str1, str2)
        while int1 < int2:
            int3 = 5 * int1 - int2
            int3 = proc_seven(int1, int2)
            int1 += 1
        proc_eight(glob_array, glob_matrix, int1, int3)
        proc_one(glob_ptr)
        c = "A"
        while c <= glob_char_b:
            if enum_loc == func_one(c, "C"):
                enum_loc = proc_six(IDENT1)
            c = chr(ord(c) + 1)
        int3 = int2 * int1
        int2 = int3 // int1
        int2 = 7 * (int3 - int2) - int1
        int1 = proc_two(int1)
    return (int1, int2, int3, enum_loc, glob_int, glob_bool_local, glob_char_a, glob_char_b,
            glob_array[8], glob_matrix[8][7], glob_ptr.int_comp, next_ptr.int_comp,
            next_ptr.enum_comp, str2[-10:])


loops = int(sys.argv[1]) if len(sys.argv) > 1 else 500000
print("pystone", loops, run(loops))
