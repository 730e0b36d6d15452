"""DP-SGD's seeded noise (csrc/core/rng.c, dp.c) for a whole arena at once, in
NumPy: under DataParallel process 0 adds it to its clipped sum before the
allreduce, so that it is added once per global step, and it is the noise one
process would add at the same step with the same key."""
import numpy as np

_M1, _M2 = np.uint64(0xbf58476d1ce4e5b9), np.uint64(0x94d049bb133111eb)
_GOLD = np.uint64(0x9e3779b97f4a7c15)


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _hash(key, counter):
    return _mix64(np.uint64(key) ^ _mix64(counter + _GOLD))


def seeded_normal(key, step, n):
    """pn_dp_seeded_normal(key, step, j) for j = 0..n-1 (float64)."""
    with np.errstate(over="ignore"):
        nkey = _hash(np.uint64(key), np.uint64(2 * step + 1))
        j = np.arange(n, dtype=np.uint64)
        u1 = (_hash(nkey, np.uint64(2) * j) >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
        u2 = (_hash(nkey, np.uint64(2) * j + np.uint64(1)) >> np.uint64(11)).astype(np.float64) \
            * (1.0 / 9007199254740992.0)
    u1 = np.maximum(u1, 1e-300)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)
