#!/usr/bin/env python3
"""Denormal (subnormal) Adam moments and the step rate, by training length.

    python3 bench/adam_denormals.py CONFIG BINARY ITERATIONS...

For each ITERATIONS (increasing), trains CONFIG with BINARY from scratch into a temporary folder
(one evaluation at the end) and reads checkpoint.bin: how many entries of optim.m and optim.v
are subnormal (0 < |x| < FLT_MIN) and how many exactly 0, and summary.json's train_seconds. The
rate of the steps between one length and the next, (N2 - N1) / (T2 - T1), shows whether the
later steps are slower. Standard library only. Run from the repository root.
"""
import array
import json
import struct
import subprocess
import sys
import tempfile

FLT_MIN = 1.1754943508222875e-38


def moments(path):
    """{name: (subnormal, zero, size)} for the optimizer state tensors of a checkpoint."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, t in header.items():
        if not name.startswith("optim.") or t["dtype"] != "F32":
            continue
        a = array.array("f")
        a.frombytes(data[t["data_offsets"][0]:t["data_offsets"][1]])
        sub = sum(1 for x in a if x != 0.0 and abs(x) < FLT_MIN)
        out[name] = (sub, a.count(0.0), len(a))
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    config, binary, lengths = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]]
    prev = (0, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        for it in lengths:
            out = f"{tmp}/{it}"
            subprocess.run([binary, "train", config, "--quiet", "--restart", "--out", out,
                            "--set", f"train.iterations={it}",
                            "--set", f"train.eval_every={it}"],
                           check=True, stdout=subprocess.DEVNULL)
            with open(out + "/summary.json") as f:
                secs = json.load(f)["train_seconds"]
            rate = (it - prev[0]) / (secs - prev[1]) if secs > prev[1] else float("nan")
            cols = " ".join(f"{k}: {s} subnormal, {z} zero of {n};"
                            for k, (s, z, n) in moments(out + "/checkpoint.bin").items())
            print(f"{it:6d} steps {secs:7.2f} s, steps {prev[0] + 1}-{it} at {rate:6.0f} it/s; "
                  f"{cols}", flush=True)
            prev = (it, secs)


if __name__ == "__main__":
    main()
