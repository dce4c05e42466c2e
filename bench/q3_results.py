#!/usr/bin/python3
"""Question 3's residual denoising autoencoder (configs/hw2/q3_residual.yaml), clnet against
PyTorch from the same initial weights, for several seeds: the test-set loss terms after
training (S, the mean over the 10,000 test images of 1/2 ||y - s||^2 with evaluation's noise,
and R = r^T h), as bench/RESULTS.md records them.

    /usr/bin/python3 bench/q3_results.py [--seeds 1 2 3] [--clnet build/clnet]
                     [--out runs/bench-q3] [--config configs/hw2/q3_residual.yaml]

For seed S: examples/pytorch/init_from_torch.py draws the config's init with PyTorch
(--scheme config --seed S) into OUT/sS/init.safetensors and writes OUT/sS/q3_sS.yaml (the
config from those weights); clnet trains it (--set seed=S, so its shuffle and noise are seed
S's); bench/torch_ref.py trains its twin with --seed S --clnet-sampler: the same initial
draws, the same batches (clnet's sampler ported to Python) and the same noise
(tests/interop/clnet_noise.py), so the two differ only by rounding. A completed clnet run in
OUT/sS/run is reused. Prints a markdown table and the commands.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def sh(cmd, **kw):
    print("  $ " + " ".join(cmd), file=sys.stderr)
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def last_metrics(run):
    with open(os.path.join(run, "metrics.csv")) as f:
        lines = f.read().splitlines()
    return dict(zip(lines[0].split(","), map(float, lines[-1].split(","))))


def clnet_side(a, seed):
    d = os.path.join(a.out, f"s{seed}")
    run = os.path.join(d, "run")
    summary = os.path.join(run, "summary.json")
    if not (os.path.exists(summary) and json.load(open(summary)).get("status") == "completed"):
        os.makedirs(d, exist_ok=True)
        cfg = os.path.join(d, f"q3_s{seed}.yaml")
        sh([PY, "examples/pytorch/init_from_torch.py", a.config,
            os.path.join(d, "init.safetensors"), "--scheme", "config", "--seed", str(seed),
            "--write-config", cfg])
        sh([a.clnet, "train", cfg, "--set", f"seed={seed}", "--out", run, "--quiet",
            "--restart"])
    m = last_metrics(run)
    s = json.load(open(summary))
    return {"S": m["test_loss_S"], "R": m["test_loss_R"], "L": m["test_loss"],
            "seconds": s.get("train_seconds")}


def torch_side(a, seed):
    env = dict(os.environ, OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE", "SkylakeX"))
    r = json.loads(sh([PY, "bench/torch_ref.py", a.config, "--seed", str(seed), "--threads",
                       "1", "--data", "data/mnist", "--clnet-sampler", "--json"], env=env))
    t = r["test_loss_terms"]
    return {"S": t["S"], "R": t["R"], "L": r["test_loss"], "seconds": r["train_seconds"]}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--clnet", default="build/clnet")
    ap.add_argument("--out", default="runs/bench-q3")
    ap.add_argument("--config", default="configs/hw2/q3_residual.yaml")
    a = ap.parse_args(argv)
    rows = []
    for seed in a.seeds:
        rows.append((seed, clnet_side(a, seed), torch_side(a, seed)))
    def rel(c, p, k):
        return abs(c[k] - p[k]) / abs(p[k])

    print("| seed | clnet test S | PyTorch test S | relative | clnet test R | PyTorch test R | "
          "relative | clnet / PyTorch train s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for seed, c, p in rows:
        print(f"| {seed} | {c['S']:.6f} | {p['S']:.6f} | {rel(c, p, 'S'):.1e} | {c['R']:.6f} | "
              f"{p['R']:.6f} | {rel(c, p, 'R'):.1e} | {c['seconds']:.1f} / {p['seconds']:.1f} |")
    n = len(rows)
    mean = {k: (sum(c[k] for _, c, _ in rows) / n, sum(p[k] for _, _, p in rows) / n)
            for k in ("S", "R")}
    print(f"| mean | {mean['S'][0]:.6f} | {mean['S'][1]:.6f} | | {mean['R'][0]:.6f} | "
          f"{mean['R'][1]:.6f} | | |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as e:
        print(f"q3_results: error: {e}", file=sys.stderr)
        sys.exit(1)
