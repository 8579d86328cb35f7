"""The library's random quadratic family (lib/optim/problems_quadratic.c)
rewritten in Python, operation for operation, as ``sample`` and
``objective`` callables for Problems.from_callbacks.

With the same seed it makes the same problem bit for bit (the generator is
lib/core/rng.c: xoshiro256** seeded through splitmix64, Box-Muller
normals), and its objective rounds exactly as the C one does, so the
callback family must give the built-in family's results exactly: any
difference is a fault in how the binding carries parameters, gradients or
values between C and Python.  If the C family changes, this file must
follow it.
"""
import math

import numpy as np

M64 = (1 << 64) - 1


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    """ml_rng."""

    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        result = (_rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def normal(self):
        u1 = ((self.next() >> 11) + 1.0) * (1.0 / 9007199254740992.0)
        u2 = (self.next() >> 11) * (1.0 / 9007199254740992.0)
        return np.float32(math.sqrt(-2.0 * math.log(u1))
                          * math.cos(6.283185307179586 * u2))


def family(dim):
    """(sample, objective) of the quadratics of ``dim`` parameters."""

    def sample(seed):
        rng = Rng(seed)
        wy = np.array([rng.normal() for _ in range(dim * dim + dim)],
                      dtype=np.float32)
        theta0 = np.array([np.float32(0.01) * rng.normal()
                           for _ in range(dim)], dtype=np.float32)
        return theta0, (wy[:dim * dim].reshape(dim, dim), wy[dim * dim:])

    def objective(problem, theta):
        w, y = problem
        f = 0.0
        grad = np.zeros(dim, dtype=np.float32)
        for i in range(dim):
            r = -float(y[i])           # double accumulation, in C's order
            for j in range(dim):
                r += float(w[i, j]) * float(theta[j])
            f += r * r
            grad += np.float32(2 * r) * w[i]   # float32, rounded per step
        return f, grad

    return sample, objective
