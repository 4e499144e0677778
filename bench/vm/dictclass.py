# An object/dict workload for upyc's VM benchmark (bench/vm_speed.py): a small inventory
# and order simulation with classes (inheritance, methods, properties-free attribute
# access, a class attribute, super().__init__), dicts keyed by str and int (insert,
# lookup, get, in, del, items), and list/tuple traffic. A deterministic LCG drives it.
# Usage: dictclass.py [STEPS]; prints a deterministic checksum line.
import sys


class Rng:
    def __init__(self, seed):
        self.state = seed

    def next(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


class Item:
    kind = "item"

    def __init__(self, sku, price, qty):
        self.sku = sku
        self.price = price
        self.qty = qty

    def value(self):
        return self.price * self.qty

    def take(self, n):
        if n > self.qty:
            n = self.qty
        self.qty -= n
        return n


class Perishable(Item):
    kind = "perishable"

    def __init__(self, sku, price, qty, days):
        super().__init__(sku, price, qty)
        self.days = days

    def value(self):
        return Item.value(self) // 2 if self.days < 3 else Item.value(self)

    def age(self):
        self.days -= 1
        return self.days <= 0


class Warehouse:
    def __init__(self):
        self.items = {}
        self.by_kind = {}
        self.log = []

    def add(self, item):
        old = self.items.get(item.sku)
        if old is not None:
            old.qty += item.qty
            return old
        self.items[item.sku] = item
        k = item.kind
        if k in self.by_kind:
            self.by_kind[k] += 1
        else:
            self.by_kind[k] = 1
        return item

    def order(self, sku, n):
        item = self.items.get(sku)
        if item is None:
            self.log.append((sku, 0))
            return 0
        got = item.take(n)
        if item.qty == 0:
            del self.items[sku]
            self.by_kind[item.kind] -= 1
        self.log.append((sku, got))
        return got * item.price

    def expire(self):
        gone = []
        for sku, item in self.items.items():
            if isinstance(item, Perishable) and item.age():
                gone.append(sku)
        for sku in gone:
            item = self.items.pop(sku)
            self.by_kind[item.kind] -= 1
        return len(gone)

    def total_value(self):
        t = 0
        for item in self.items.values():
            t += item.value()
        return t


def run(steps):
    rng = Rng(42)
    wh = Warehouse()
    revenue = 0
    expired = 0
    hist = {}
    names = ["sku%d" % i for i in range(300)]
    for step in range(steps):
        sku = names[rng.next(300)]
        op = rng.next(10)
        if op < 5:
            if rng.next(3) == 0:
                wh.add(Perishable(sku, 1 + rng.next(50), 1 + rng.next(20), 1 + rng.next(6)))
            else:
                wh.add(Item(sku, 1 + rng.next(90), 1 + rng.next(30)))
        elif op < 9:
            revenue += wh.order(sku, 1 + rng.next(40))
        else:
            expired += wh.expire()
        bucket = step % 97
        hist[bucket] = hist.get(bucket, 0) + len(wh.items)
        if len(wh.log) > 500:
            for s, got in wh.log:
                revenue += got & 1
            wh.log = []
    check = 0
    for k in sorted(hist):
        check = (check * 17 + hist[k]) & 0xFFFFFFF
    kinds = sorted(wh.by_kind.items())
    return revenue, expired, wh.total_value(), len(wh.items), check, kinds


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300000
print("dictclass", steps, run(steps))
