# An n-body simulation for upyc's VM benchmark (bench/vm_speed.py): five bodies (a sun
# and four planets, in units where the sun's mass is 4*pi^2) advanced with a symplectic
# Euler step. Float arithmetic on lists of floats, nested loops over pairs, no objects.
# Only + - * / and sqrt are used, so every IEEE-754 implementation gets the same numbers.
# Usage: nbody.py [STEPS]; prints a deterministic checksum line.
import sys
from math import sqrt

PI = 3.141592653589793
SOLAR_MASS = 4.0 * PI * PI
DAYS_PER_YEAR = 365.24

# x, y, z, vx, vy, vz, mass; positions in AU, velocities in AU/day.
BODIES = [
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    [4.84, -1.16, -0.10, 1.66e-3, 7.70e-3, -6.90e-5, 9.55e-4],
    [8.34, 4.12, -0.40, -2.77e-3, 5.00e-3, 2.30e-5, 2.86e-4],
    [12.89, -15.11, -0.22, 2.96e-3, 2.37e-3, -2.96e-5, 4.37e-5],
    [15.38, -25.92, 0.18, 2.68e-3, 1.63e-3, -9.51e-5, 5.15e-5],
]


def setup():
    bodies = []
    for b in BODIES:
        bodies.append([b[0], b[1], b[2], b[3] * DAYS_PER_YEAR, b[4] * DAYS_PER_YEAR,
                       b[5] * DAYS_PER_YEAR, b[6] * SOLAR_MASS])
    # give the sun the momentum that makes the total zero
    px = py = pz = 0.0
    for b in bodies:
        px += b[3] * b[6]
        py += b[4] * b[6]
        pz += b[5] * b[6]
    sun = bodies[0]
    sun[3] = -px / SOLAR_MASS
    sun[4] = -py / SOLAR_MASS
    sun[5] = -pz / SOLAR_MASS
    return bodies


def energy(bodies):
    e = 0.0
    n = len(bodies)
    for i in range(n):
        a = bodies[i]
        e += 0.5 * a[6] * (a[3] * a[3] + a[4] * a[4] + a[5] * a[5])
        for j in range(i + 1, n):
            b = bodies[j]
            dx = a[0] - b[0]
            dy = a[1] - b[1]
            dz = a[2] - b[2]
            e -= a[6] * b[6] / sqrt(dx * dx + dy * dy + dz * dz)
    return e


def advance(bodies, dt, steps):
    pairs = []
    for i in range(len(bodies)):
        for j in range(i + 1, len(bodies)):
            pairs.append((bodies[i], bodies[j]))
    for _ in range(steps):
        for a, b in pairs:
            dx = a[0] - b[0]
            dy = a[1] - b[1]
            dz = a[2] - b[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            bm = b[6] * mag
            am = a[6] * mag
            a[3] -= dx * bm
            a[4] -= dy * bm
            a[5] -= dz * bm
            b[3] += dx * am
            b[4] += dy * am
            b[5] += dz * am
        for p in bodies:
            p[0] += dt * p[3]
            p[1] += dt * p[4]
            p[2] += dt * p[5]


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 150000
bodies = setup()
e0 = energy(bodies)
advance(bodies, 0.01, steps)
e1 = energy(bodies)
print("nbody", steps, int(e0 * 1e9), int(e1 * 1e9), int(bodies[1][0] * 1e9))
