#!/usr/bin/env python3
"""Training speed of clnet against PyTorch (CPU) on the homework networks, interleaved.

For each config, R rounds of: clnet, PyTorch with 1 thread, PyTorch with 2 threads, each for
the same number of iterations of the same network, batch, optimizer and init. PyTorch runs
with OPENBLAS_CORETYPE=SkylakeX (this virtual CPU hides its model, and OpenBLAS otherwise
falls back to generic kernels); its faster thread count (by median) is the one compared.
Prints a markdown table: iterations/s of each (median), the ratio clnet / PyTorch per round
(min, median, max), and the test accuracy each reached.

    python3 bench/speed.py [--iterations 500] [--rounds 3] [--only q4_v ...] [--clnet build/clnet]
                           [--device SPEC] [--torch-device cuda]

--device passes clnet's device spec; --torch-device cuda (bench/gpu/run) runs PyTorch on the
GPU, once a round (its thread count does not matter there).

clnet's figure is summary.json's iterations_per_second (training steps only, evaluation
excluded, the first step too: its one-time costs are summary.json's first_step_seconds);
PyTorch's is torch_ref.py's (the same definition: steps after the first)."""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Debian's, where python3-torch is installed; $TORCH_PYTHON for another (bench/gpu/run)
TORCH_PYTHON = os.environ.get("TORCH_PYTHON") or "/usr/bin/python3"


def all_configs():
    """Every question-4 and question-5 experiment of configs/hw2, bases excluded."""
    hw2 = os.path.join(ROOT, "configs/hw2")
    names = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(hw2, "q[45]_*.yaml"))]
    hidden = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(hw2, "q4_vi_hidden/*.yaml"))]
    return sorted(names) + ["q4_vi_hidden/" + h for h in sorted(hidden, key=lambda h: int(h[1:]))]


def clnet_run(clnet, config, iterations, out, device=None):
    cmd = [clnet, "train", config, "--quiet", "--out", out, "--set",
           f"train.iterations={iterations}", "--set", f"train.eval_every={iterations}"]
    cmd += ["--device", device] if device else []
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {p.stderr.strip()}")
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    return s["iterations_per_second"], s["final_test_accuracy"]


def torch_run(config, iterations, threads, device="cpu"):
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX")
    cmd = [TORCH_PYTHON, os.path.join(ROOT, "bench/torch_ref.py"), config, "--iterations",
           str(iterations), "--threads", str(threads), "--json", "--device", device]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {p.stderr.strip()}")
    s = json.loads(p.stdout.strip().splitlines()[-1])
    return s["iterations_per_second"], s["test_accuracy"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--clnet", default=os.path.join(ROOT, "build/clnet"))
    ap.add_argument("--device", help="clnet's --device spec (default: its auto)")
    ap.add_argument("--torch-device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    names = a.only or all_configs()
    cuda = a.torch_device == "cuda"
    print(f"{a.iterations} iterations per run, {a.rounds} rounds, interleaved clnet / " +
          ("torch on CUDA\n" if cuda else "torch 1 thread / torch 2 threads\n"))
    print("| config | clnet it/s | torch it/s (threads) | clnet / torch: min, median, max "
          "| test acc clnet | test acc torch |")
    print("| --- | --- | --- | --- | --- | --- |")
    tmp = tempfile.mkdtemp(prefix="clnet-speed-")
    for name in names:
        config = os.path.join(ROOT, "configs/hw2", name + ".yaml")
        c, t1, t2 = [], [], []
        for r in range(a.rounds):
            c.append(clnet_run(a.clnet, config, a.iterations,
                               os.path.join(tmp, f"{name.replace('/', '_')}-{r}"), a.device))
            t1.append(torch_run(config, a.iterations, 1, a.torch_device))
            if not cuda:
                t2.append(torch_run(config, a.iterations, 2))
        med = lambda xs: statistics.median(x[0] for x in xs)  # noqa: E731
        best, threads = (t1, 1) if cuda or med(t1) >= med(t2) else (t2, 2)
        ratios = sorted(ci[0] / ti[0] for ci, ti in zip(c, best))
        print(f"| {name} | {med(c):.1f} | {med(best):.1f} ({'cuda' if cuda else threads}) | "
              f"{ratios[0]:.2f}, "
              f"{statistics.median(ratios):.2f}, {ratios[-1]:.2f} | {c[-1][1]:.4f} | "
              f"{best[-1][1]:.4f} |", flush=True)


if __name__ == "__main__":
    main()
