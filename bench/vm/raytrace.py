# A small ray tracer for upyc's VM benchmark (bench/vm_speed.py): a vector class with
# methods (float arithmetic, many short-lived objects), sphere and plane intersection,
# Lambert shading, hard shadows and one reflection bounce. Only + - * / and sqrt are
# used, so every IEEE-754 implementation gets the same pixels.
# Usage: raytrace.py [SIZE]; prints a deterministic checksum line.
import sys
from math import sqrt


class Vec:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def add(self, o):
        return Vec(self.x + o.x, self.y + o.y, self.z + o.z)

    def sub(self, o):
        return Vec(self.x - o.x, self.y - o.y, self.z - o.z)

    def scale(self, k):
        return Vec(self.x * k, self.y * k, self.z * k)

    def mul(self, o):
        return Vec(self.x * o.x, self.y * o.y, self.z * o.z)

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * o.z

    def norm(self):
        return self.scale(1.0 / sqrt(self.dot(self)))


class Sphere:
    def __init__(self, center, radius, color, reflect):
        self.center = center
        self.r2 = radius * radius
        self.color = color
        self.reflect = reflect

    def hit(self, orig, d):
        # distance along unit ray d to the nearest intersection, or -1.0
        oc = orig.sub(self.center)
        b = oc.dot(d)
        c = oc.dot(oc) - self.r2
        disc = b * b - c
        if disc < 0.0:
            return -1.0
        s = sqrt(disc)
        t = -b - s
        if t > 1e-6:
            return t
        t = -b + s
        if t > 1e-6:
            return t
        return -1.0

    def normal(self, p):
        return p.sub(self.center).norm()


class Plane:
    def __init__(self, height, color_a, color_b, reflect):
        self.height = height
        self.color_a = color_a
        self.color_b = color_b
        self.reflect = reflect
        self.up = Vec(0.0, 1.0, 0.0)

    def hit(self, orig, d):
        if -1e-9 < d.y < 1e-9:
            return -1.0
        t = (self.height - orig.y) / d.y
        return t if t > 1e-6 else -1.0

    def normal(self, p):
        return self.up

    def color_at(self, p):
        if (int(p.x + 1000.0) + int(p.z + 1000.0)) % 2 == 0:
            return self.color_a
        return self.color_b


class Scene:
    def __init__(self):
        self.objects = [
            Sphere(Vec(0.0, 1.0, 5.0), 1.0, Vec(0.9, 0.2, 0.2), 0.3),
            Sphere(Vec(-2.2, 0.7, 6.0), 0.7, Vec(0.2, 0.9, 0.3), 0.2),
            Sphere(Vec(2.0, 1.5, 7.0), 1.5, Vec(0.3, 0.4, 0.95), 0.5),
            Plane(0.0, Vec(0.9, 0.9, 0.9), Vec(0.1, 0.1, 0.1), 0.2),
        ]
        self.light = Vec(-5.0, 8.0, -3.0)
        self.ambient = 0.1

    def nearest(self, orig, d):
        best_t = 1e30
        best = None
        for obj in self.objects:
            t = obj.hit(orig, d)
            if 0.0 < t < best_t:
                best_t = t
                best = obj
        return best, best_t

    def trace(self, orig, d, depth):
        obj, t = self.nearest(orig, d)
        if obj is None:
            k = 0.5 * (d.y + 1.0)
            return Vec(0.5 + 0.3 * k, 0.6 + 0.3 * k, 1.0)
        p = orig.add(d.scale(t))
        n = obj.normal(p)
        base = obj.color_at(p) if isinstance(obj, Plane) else obj.color
        to_light = self.light.sub(p)
        dist_light = sqrt(to_light.dot(to_light))
        ldir = to_light.scale(1.0 / dist_light)
        lambert = n.dot(ldir)
        if lambert < 0.0:
            lambert = 0.0
        else:
            shadow_obj, st = self.nearest(p, ldir)
            if shadow_obj is not None and st < dist_light:
                lambert = 0.0
        color = base.scale(self.ambient + (1.0 - self.ambient) * lambert)
        if depth > 0 and obj.reflect > 0.0:
            r = d.sub(n.scale(2.0 * d.dot(n)))
            rc = self.trace(p, r, depth - 1)
            color = color.scale(1.0 - obj.reflect).add(rc.scale(obj.reflect))
        return color


def clamp_byte(v):
    if v <= 0.0:
        return 0
    if v >= 1.0:
        return 255
    return int(v * 255.0)


def render(size):
    scene = Scene()
    eye = Vec(0.0, 1.5, -2.0)
    total = 0
    mix = 0
    for j in range(size):
        for i in range(size):
            x = (i + 0.5) / size * 2.0 - 1.0
            y = 1.0 - (j + 0.5) / size * 2.0
            d = Vec(x, y, 1.5).norm()
            c = scene.trace(eye, d, 2)
            r = clamp_byte(c.x)
            g = clamp_byte(c.y)
            b = clamp_byte(c.z)
            total += r + g + b
            mix = (mix * 33 + r * 7 + g * 3 + b) & 0xFFFFFF
    return total, mix


size = int(sys.argv[1]) if len(sys.argv) > 1 else 300
total, mix = render(size)
print("raytrace", size, total, mix)
