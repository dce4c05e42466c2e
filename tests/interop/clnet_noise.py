"""clnet's data.noise in numpy (float32), bit for bit: the twin of src/data/noise.c and
cl/data.cl's noise_batch, for tests and for PyTorch runs that must read the inputs clnet's
model read (docs/experiments.md, "Input noise", defines it in words).

    x = clean + sigma * n,  clean = byte / 255 (float32, correctly rounded), each op rounded once

n for pixel f of image `index` of a split, on a pass over the data, is a pure function of
(seed, split, index, pass, f):

    key   = mix64(seed ^ NOISE_STREAM)                      (mix64: splitmix64's finalizer)
    image = mix64(mix64(key ^ (split << 32 | pass)) + index)          (all modulo 2^64)
    bits  = mix64(image + f) >> 32                                     (32 uniform bits)
    n     = (-1 if bits >> 31 else 1) * magnitude(bits & 0x7fffffff)

magnitude(m) approximates -InverseNormalCDF((m + 1/2) / 2^32): a table entry for m < 64,
else the linear interpolation, in float32, between the values at the ends of m's segment
(octave o = bit_length(m) - 7, segment j = the 6 bits below m's top bit, 64 per octave).

Which (index, pass) a training row reads: step t (from 0) reads the sampler's items
p = t * batch_size + r for its rows r = 0 .. batch_size - 1 (under MPI a rank's rows keep
their place in the whole batch). Item p is on pass p // N (N the training split's size:
60000 - data.validation for MNIST), and its index is p % N with data.shuffle: false (train_rows), or
entry p % N of epoch p // N's permutation with shuffle (Sampler(N, seed).rows).
Evaluation (test, validation and full training-set passes, predictions) reads every image
with pass PASS_EVAL, so every evaluation sees the same noisy images. `clnet eval --inputs`
and `clnet predict` rows are used as given, never noised.
"""
import math

import numpy as np

SPLIT_TRAIN, SPLIT_TEST, SPLIT_VALIDATION = 0, 1, 2
PASS_EVAL = 0xFFFFFFFF
NOISE_STREAM = 0x6761757373696E6E  # "gaussinn"
SEGMENT_BITS = 6
DIRECT = 64
OCTAVES = 25
TABLE_SIZE = DIRECT + 2 * OCTAVES * DIRECT

_M64 = (1 << 64) - 1


def mix64(z):
    """splitmix64's finalizer of a Python int or a numpy uint64 array, modulo 2^64."""
    if isinstance(z, np.ndarray):
        z = z.astype(np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
    z &= _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _inverse_normal_cdf(p):
    """src/data/noise.c's inverse_normal_cdf, operation for operation, for p in (0, 1/2]."""
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00)
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
             ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0))
    else:
        q = p - 0.5
        r = q * q
        x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
             (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0))
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def _magnitude(m):
    return -_inverse_normal_cdf((m + 0.5) / 4294967296.0)


_TABLE = None


def table():
    """The table clnet uploads (noise_table): float32, TABLE_SIZE values."""
    global _TABLE
    if _TABLE is None:
        t = np.empty(TABLE_SIZE, dtype=np.float32)
        for m in range(DIRECT):
            t[m] = np.float32(_magnitude(float(m)))
        for o in range(OCTAVES):
            for j in range(DIRECT):
                za = _magnitude(float((DIRECT + j) << o))
                zb = _magnitude(float((DIRECT + j + 1) << o))
                k = DIRECT + 2 * (o * DIRECT + j)
                t[k] = np.float32(za)
                t[k + 1] = np.float32(zb - za)
        _TABLE = t
    return _TABLE


def noise_key(seed):
    return mix64(int(seed) ^ NOISE_STREAM)


def train_pass(pos, n):
    """The pass the sampler's item number pos is on, for a split of n images."""
    return np.asarray(pos, dtype=np.uint64) // np.uint64(n)


def train_rows(iteration, batch_size, n, row0=0, rows=None):
    """(indices, passes) of step `iteration`'s rows without data.shuffle (rows row0 ..
    row0 + rows - 1 of its batch; all of them by default)."""
    rows = batch_size - row0 if rows is None else rows
    pos = np.uint64(iteration) * np.uint64(batch_size) + np.arange(row0, row0 + rows,
                                                                   dtype=np.uint64)
    return (pos % np.uint64(n)).astype(np.int64), train_pass(pos, n)


class Sampler:
    """clnet's batch sampler (src/data/sampler.c) with data.shuffle: true: xoshiro256** seeded
    by splitmix64 from the config's seed, a Fisher-Yates permutation of the N training images
    per epoch (Lemire's unbiased bounded integers), batches cut from the epochs one after
    another. rows() gives a step's (indices, passes) as train_rows does without shuffle."""

    def __init__(self, n, seed):
        self.n = n
        x, self.s = int(seed) & _M64, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & _M64
            self.s.append(mix64(x))
        self.perms = []  # epoch e's permutation, drawn in order

    def _u32(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & _M64  # noqa: E731
        result = (rotl((s[1] * 5) & _M64, 7) * 9) & _M64
        t = (s[1] << 17) & _M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result >> 32

    def _below(self, n):
        m = self._u32() * n
        if (m & 0xFFFFFFFF) < n:
            threshold = ((1 << 32) - n) % n
            while (m & 0xFFFFFFFF) < threshold:
                m = self._u32() * n
        return m >> 32

    def epoch(self, e):
        while len(self.perms) <= e:
            perm = list(range(self.n))
            for i in range(self.n - 1, 0, -1):
                j = self._below(i + 1)
                perm[i], perm[j] = perm[j], perm[i]
            self.perms.append(np.array(perm, dtype=np.int64))
        return self.perms[e]

    def rows(self, iteration, batch_size, row0=0, rows=None):
        rows = batch_size - row0 if rows is None else rows
        pos = [iteration * batch_size + r for r in range(row0, row0 + rows)]
        idx = [int(self.epoch(p // self.n)[p % self.n]) for p in pos]
        return np.array(idx, dtype=np.int64), train_pass(np.array(pos, dtype=np.uint64), self.n)


def normal_from_bits(bits):
    """n for 32-bit draws (a uint32 array): the sign bit and the table's magnitude."""
    bits = np.asarray(bits, dtype=np.uint32)
    t = table()
    m = (bits & np.uint32(0x7FFFFFFF)).astype(np.int64)
    width = np.frexp(m.astype(np.float64))[1]  # bit length, exact for m < 2^53
    o = np.maximum(width - (SEGMENT_BITS + 1), 0)
    j = (m >> o) & (DIRECT - 1)
    frac = (m & ((np.int64(1) << o) - 1)).astype(np.float32)
    scale = np.ldexp(np.ones(m.shape, dtype=np.float32), -o).astype(np.float32)
    seg = DIRECT + 2 * (o * DIRECT + j)
    direct = m < DIRECT
    seg = np.where(direct, 0, seg)
    dt = t[seg + 1] * (frac * scale)
    z = np.where(direct, t[np.minimum(m, DIRECT - 1)], t[seg] + dt).astype(np.float32)
    return np.where(bits >> np.uint32(31) != 0, -z, z).astype(np.float32)


def noise(indices, passes, split, seed, features):
    """n (rows, features) float32 for images `indices` of split on `passes`."""
    indices = np.asarray(indices, dtype=np.uint64).reshape(-1)
    passes = np.broadcast_to(np.asarray(passes, dtype=np.uint64), indices.shape)
    top = mix64(np.uint64(noise_key(seed)) ^ ((np.uint64(split) << np.uint64(32)) | passes))
    image = mix64(top + indices)
    f = np.arange(features, dtype=np.uint64)
    bits = (mix64(image[:, None] + f[None, :]) >> np.uint64(32)).astype(np.uint32)
    return normal_from_bits(bits)


def noisy_batch(images_uint8, indices, passes, split, seed, sigma):
    """x (rows, F) float32 as clnet's model reads it: images_uint8 is the whole split (N, F)
    or (N, rows, cols) of bytes, indices the rows' images in it, passes theirs (an int or
    one per row; PASS_EVAL for evaluation), split SPLIT_*, seed the config's, sigma
    data.noise.gaussian."""
    images = np.asarray(images_uint8, dtype=np.uint8)
    images = images.reshape(images.shape[0], -1)
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    clean = images[idx].astype(np.float32) / np.float32(255.0)
    n = noise(idx, passes, split, seed, images.shape[1])
    return (clean + np.float32(sigma) * n).astype(np.float32)
