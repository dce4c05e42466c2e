"""data.noise is the same bits everywhere: noisy batches made by noise_dump (cl/data.cl's
gather_batch then noise_batch) on PoCL's pthread device, PoCL's basic device, Oclgrind (when
installed) and any GPU the machine has, against clnet_noise.py's numpy twin, compared as
bits; clnet's noise table against the twin's, and the twin's port of the shuffling sampler
against clnet's batches. Cases: training rows straddling two passes over the data, an item
number past 2^32, evaluation's fixed draw, each split, a sigma of 0 (the clean batch itself),
the smallest and largest sigma allowed.

    noise_parity.py NOISE_DUMP

Exit 0 when every device agrees with the twin, 1 on a difference, 77 (skipped) without numpy
or without any OpenCL device.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("numpy missing: skipped")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clnet_noise  # noqa: E402

N, F = 97, 784  # 784 = 49 pieces of 16; N prime so passes straddle batches
OCLGRIND_ICDS = ["/usr/lib/oclgrind/liboclgrind-rt-icd.so",
                 "/usr/lib/x86_64-linux-gnu/liboclgrind-rt-icd.so",
                 "/usr/local/lib/liboclgrind-rt-icd.so"]


def images():
    rng = np.random.default_rng(24)
    im = rng.integers(0, 256, size=(N, F), dtype=np.uint8)
    im[0, :256] = np.arange(256, dtype=np.uint8)  # every byte value
    return im


# (name, seed, sigma, split, pos0 or None for evaluation, rows)
CASES = [
    ("train, rows across passes 2 and 3", 1, 0.3, clnet_noise.SPLIT_TRAIN, 3 * N - 5, 40),
    ("train, item number past 2^32", 7, 1.0, clnet_noise.SPLIT_TRAIN, (1 << 32) + 11, 23),
    ("evaluation, test split", 1, 0.3, clnet_noise.SPLIT_TEST, None, N),
    ("evaluation, validation split", 99, 0.5, clnet_noise.SPLIT_VALIDATION, None, 31),
    ("sigma 0: the clean batch", 1, 0.0, clnet_noise.SPLIT_TRAIN, 0, 17),
    ("smallest sigma", 3, 1e-20, clnet_noise.SPLIT_TEST, None, 9),
    ("largest sigma", 3, 1e20, clnet_noise.SPLIT_TRAIN, 12345, 9),
]


def indices(rows, seed):
    return np.random.default_rng(seed).integers(0, N, size=rows).astype(np.int32)


def twin(im, seed, sigma, split, pos0, idx):
    if pos0 is None:
        passes = clnet_noise.PASS_EVAL
    else:
        passes = clnet_noise.train_pass(pos0 + np.arange(len(idx), dtype=np.uint64), N)
    return clnet_noise.noisy_batch(im, idx, passes, split, seed, np.float32(sigma))


def devices(tmp):
    """(name, device spec, environment) of every device to run on."""
    out = [("PoCL pthread", "pthread", {"POCL_DEVICES": "pthread"}),
           ("PoCL basic", "basic", {"POCL_DEVICES": "basic"})]
    lib = next((p for p in OCLGRIND_ICDS if os.access(p, os.R_OK)), None)
    if lib:
        icd = os.path.join(tmp, "icd")
        os.mkdir(icd)
        with open(os.path.join(icd, "oclgrind.icd"), "w") as f:
            f.write(lib + "\n")
        out.append(("Oclgrind", "oclgrind", {"OCL_ICD_VENDORS": icd, "OCLGRIND_CHECK_API": "1"}))
    else:
        print("Oclgrind not installed: not compared")
    out.append(("auto (a GPU if there is one)", "auto", {}))
    return out


def dump(exe, tmp, spec, env, case, im_path, idx, table_path):
    name, seed, sigma, split, pos0, rows = case
    ix_path, out = os.path.join(tmp, "index.i32"), os.path.join(tmp, "out.f32")
    idx.astype("<i4").tofile(ix_path)
    args = [exe, spec, im_path, str(N), str(F), ix_path, str(seed), repr(float(sigma)),
            str(split), "eval" if pos0 is None else str(pos0), out, table_path]
    r = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return np.fromfile(out, dtype="<f4").reshape(len(idx), F), r.stderr.strip()


def first_difference(got, want):
    g, w = got.view(np.uint32), want.view(np.uint32)
    k = np.argwhere(g != w)[0]
    return "row %d pixel %d: %r (0x%08x), twin %r (0x%08x)" % (
        k[0], k[1], got[k[0], k[1]], g[k[0], k[1]], want[k[0], k[1]], w[k[0], k[1]])


def run_device(exe, tmp, im, im_path, dev):
    """Failures on one device; None when it cannot be opened."""
    label, spec, env = dev
    failures = []
    table_path = os.path.join(tmp, "table.f32")
    for case in CASES:
        idx = indices(case[5], case[1])
        got, err = dump(exe, tmp, spec, env, case, im_path, idx, table_path)
        if got is None:
            if spec == "auto" or "no OpenCL" in err or "no device" in err.lower():
                return None
            failures.append("%s: %s: noise_dump failed: %s" % (label, case[0], err))
            continue
        if err and spec == "oclgrind":
            failures.append("%s: %s: Oclgrind reported: %s" % (label, case[0], err[:500]))
        want = twin(im, *case[1:5], idx)
        if not np.array_equal(got.view(np.uint32), want.view(np.uint32)):
            failures.append("%s: %s: %s" % (label, case[0], first_difference(got, want)))
    if not os.path.exists(table_path):
        return failures
    table = np.fromfile(table_path, dtype="<f4")
    os.remove(table_path)
    if not np.array_equal(table.view(np.uint32), clnet_noise.table().view(np.uint32)):
        k = int(np.argwhere(table.view(np.uint32) != clnet_noise.table().view(np.uint32))[0][0])
        failures.append("%s: noise table entry %d: clnet %r, twin %r" % (
            label, k, table[k], clnet_noise.table()[k]))
    print("%s: %s" % (label, "FAILED" if failures else "%d cases bit for bit" % len(CASES)))
    return failures


def check_sampler(exe):
    """The twin's port of the shuffling sampler draws clnet's batches: 7 steps of 16 over 50
    images (2.2 epochs, batches across an epoch's end), seed 3."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "idx.i32")
        subprocess.run([exe, "--sampler", "50", "16", "3", "7", out], check=True)
        got = np.fromfile(out, dtype="<i4").reshape(7, 16)
    s = clnet_noise.Sampler(50, 3)
    want = np.stack([s.rows(t, 16)[0] for t in range(7)])
    if not np.array_equal(got, want):
        return ["sampler: clnet's batches %s, the twin's %s" % (got[:2], want[:2])]
    print("sampler: 7 batches the same")
    return []


def main():
    exe = sys.argv[1]
    im = images()
    failures, ran = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        im_path = os.path.join(tmp, "images.u8")
        im.tofile(im_path)
        for dev in devices(tmp):
            f = run_device(exe, tmp, im, im_path, dev)
            if f is None:
                print("%s: no such device here" % dev[0])
                continue
            ran += 1
            failures += f
    for f in failures:
        print(f)
    if ran == 0:
        print("no OpenCL device: skipped")
        return 77
    failures += check_sampler(exe)
    # sigma 0 is the clean batch exactly, and the noise is not the clean batch
    idx = indices(10, 5)
    clean = im[idx].astype(np.float32) / np.float32(255)
    zero = twin(im, 1, 0.0, 0, 0, idx)
    if not np.array_equal(zero, clean) or np.array_equal(twin(im, 1, 0.3, 0, 0, idx), clean):
        failures.append("twin: sigma 0 is not the clean batch, or 0.3 is")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
