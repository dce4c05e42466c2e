#!/usr/bin/env python3
"""Interleaved A/B of clnet binaries on one config, by summary.json's iterations_per_second
(the steps after the first: start-up, evaluations and plots are not in it).

    python3 bench/ab_summary.py CONFIG ITERATIONS ROUNDS NAME=BINARY NAME=BINARY ...

Each round trains CONFIG once with every binary (the order reversed every other round, so a
drift of the machine's speed falls on both), ITERATIONS steps and one evaluation at the end,
into a temporary folder. Prints each binary's median it/s and its per-round ratio to the first
binary's (median, min, max). Run from the repository root.
"""
import json
import statistics
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    config, iterations, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    bins = dict(a.split("=", 1) for a in sys.argv[4:])
    rates = {b: [] for b in bins}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for b in list(bins) if r % 2 == 0 else list(reversed(list(bins))):
                out = f"{tmp}/{b}"
                subprocess.run([bins[b], "train", config, "--quiet", "--restart", "--out", out,
                                "--set", f"train.iterations={iterations}",
                                "--set", f"train.eval_every={iterations}"],
                               check=True, stdout=subprocess.DEVNULL)
                with open(out + "/summary.json") as f:
                    rates[b].append(json.load(f)["iterations_per_second"])
    first = list(bins)[0]
    for b in bins:
        ratios = [x / y for x, y in zip(rates[b], rates[first])]
        print(f"{config} {b}: median {statistics.median(rates[b]):.0f} it/s; /{first} median "
              f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()
