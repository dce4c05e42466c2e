#!/usr/bin/env python3
"""Denormal (subnormal) Adam moments and the step rate, by training length.

    python3 bench/adam_denormals.py CONFIG ROUNDS N1,N2,... NAME=BINARY [NAME=BINARY ...]

Each round, for each binary (the order reversed every other round), trains CONFIG from scratch
N1, N2, ... steps (increasing) into a temporary folder (one evaluation at the end) and reads
checkpoint.bin: how many entries of optim.m and optim.v are subnormal (0 < |x| < FLT_MIN) and
how many exactly 0, and summary.json's train_seconds T. The rate of the steps between one
length and the next, (N2 - N1) / (T2 - T1), shows whether the later steps are slower; the
medians over the rounds end the output. Standard library only. Run from the repository root.
"""
import array
import json
import statistics
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


def train(binary, config, it, out):
    """Trains it steps from scratch into out; returns summary.json's train_seconds."""
    subprocess.run([binary, "train", config, "--quiet", "--restart", "--out", out,
                    "--set", f"train.iterations={it}", "--set", f"train.eval_every={it}"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out + "/summary.json") as f:
        return json.load(f)["train_seconds"]


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    config, rounds = sys.argv[1], int(sys.argv[2])
    lengths = [int(x) for x in sys.argv[3].split(",")]
    bins = dict(a.split("=", 1) for a in sys.argv[4:])
    rates = {(b, i): [] for b in bins for i in range(len(lengths))}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for b in list(bins) if r % 2 == 0 else list(reversed(list(bins))):
                prev = (0, 0.0)
                for i, it in enumerate(lengths):
                    out = f"{tmp}/{b}-{it}"
                    secs = train(bins[b], config, it, out)
                    rate = (it - prev[0]) / (secs - prev[1]) if secs > prev[1] else float("nan")
                    rates[(b, i)].append(rate)
                    cols = " ".join(f"{k}: {s} subnormal, {z} zero of {n};" for k, (s, z, n)
                                    in moments(out + "/checkpoint.bin").items())
                    print(f"round {r + 1} {b}: {it:6d} steps {secs:7.2f} s, steps "
                          f"{prev[0] + 1}-{it} at {rate:6.0f} it/s; {cols}", flush=True)
                    prev = (it, secs)
    for i, it in enumerate(lengths):
        lo = lengths[i - 1] + 1 if i else 1
        print(f"steps {lo}-{it}: " + ", ".join(
            f"{b} median {statistics.median(rates[(b, i)]):.0f} it/s" for b in bins))


if __name__ == "__main__":
    main()
