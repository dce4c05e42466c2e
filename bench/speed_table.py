#!/usr/bin/env python3
"""Issue 26's table from one bench/speed.py run: FLOP per step, clnet it/s, GFLOP/s and its
share of the FMA limit, for each config of the run.

    python3 bench/speed.py --only ... > SPEED.md
    python3 bench/speed_table.py SPEED.md [--limit 440] [--clnet build/clnet]

FLOP per step counts, per layer, the forward's FLOPs (`clnet summary`'s column: 2 per
multiply-add), the same again for dW, and again for dX on every layer but the first (the dX
training needs), times the batch (`clnet config`'s train.batch_size). Bias adds, activations,
the loss and the optimizer are not counted, as in the issue's table. --limit is the FMA limit
in GFLOP/s (`build/bench/fma_peak`'s two-thread figure on a quiet machine; the issue's 440 by
default): say which figure was used next to the table."""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(clnet, *args):
    p = subprocess.run([clnet, *args], cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{clnet} {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def step_flops(clnet, config):
    """Forward + dW + dX (layers above the first) FLOPs of one training step."""
    layers = []
    for line in run(clnet, "summary", config).splitlines():
        m = re.match(r"\s*(\d+)\s+.*\s([\d,]+)$", line)
        if m and not line.strip().startswith("input"):
            layers.append(int(m.group(2).replace(",", "")))
    batch = None
    for line in run(clnet, "config", config).splitlines():
        m = re.match(r"\s*batch_size:\s*(\d+)", line)
        if m:
            batch = int(m.group(1))
            break
    if not layers or batch is None:
        sys.exit(f"{config}: no layer table or batch_size in clnet's summary and config")
    per_image = sum(f * (2 if i == 0 else 3) for i, f in enumerate(layers))
    return per_image * batch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("speed_md", help="bench/speed.py's output")
    ap.add_argument("--limit", type=float, default=440.0, help="the FMA limit, GFLOP/s")
    ap.add_argument("--clnet", default=os.path.join(ROOT, "build/clnet"))
    a = ap.parse_args()
    print("| network | FLOP per step | clnet it/s | GFLOP/s | share of the limit |")
    print("| --- | --- | --- | --- | --- |")
    with open(a.speed_md) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or not re.match(r"q\d", cells[0]):
                continue
            config = os.path.join(ROOT, "configs/hw2", cells[0] + ".yaml")
            flops, rate = step_flops(a.clnet, config), float(cells[1])
            gflops = flops * rate / 1e9
            print(f"| {cells[0]} | {flops / 1e6:.1f} M | {rate:,.0f} | {gflops:.0f} | "
                  f"{100 * gflops / a.limit:.0f}% |")


if __name__ == "__main__":
    main()
