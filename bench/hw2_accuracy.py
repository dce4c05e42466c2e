#!/usr/bin/env python3
"""Trains every configs/hw2 question-4 network with clnet for several seeds and prints a
markdown table of final test accuracy (mean and per seed), iterations/s and train time.

    python3 bench/hw2_accuracy.py [--seeds 1 2 3] [--clnet build/clnet] [--only q4_v ...]

Runs go to runs/bench-accuracy/NAME-sSEED/ (a completed one is reused, so an interrupted
sweep continues). With --torch, the same seeds also run through bench/torch_ref.py (PyTorch
on the host, OPENBLAS_CORETYPE=SkylakeX, 1 thread) and its mean is printed beside clnet's."""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def configs(only):
    paths = sorted(glob.glob(os.path.join(ROOT, "configs/hw2/q4_*.yaml")))
    paths += sorted(glob.glob(os.path.join(ROOT, "configs/hw2/q4_vi_hidden/*.yaml")),
                    key=lambda p: int(os.path.basename(p)[1:-5]))
    if only:
        paths = [p for p in paths if any(o in p for o in only)]
    return paths


def run(clnet, config, seed, out):
    summary = os.path.join(out, "summary.json")
    if os.path.exists(summary):
        with open(summary) as f:
            s = json.load(f)
        if s.get("status") in ("completed", "diverged"):
            return s
    cmd = [clnet, "train", config, "--set", f"seed={seed}", "--out", out, "--quiet"]
    t0 = time.time()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if not os.path.exists(summary):
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    with open(summary) as f:
        s = json.load(f)
    s["wall"] = time.time() - t0
    return s


def torch_acc(config, seed):
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX")
    cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench/torch_ref.py"), config, "--seed",
           str(seed), "--threads", "1", "--json"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return json.loads(p.stdout.strip().splitlines()[-1])["test_accuracy"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--clnet", default=os.path.join(ROOT, "build/clnet"))
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--torch", action="store_true")
    a = ap.parse_args()
    extra = " PyTorch mean | PyTorch per seed |" if a.torch else ""
    print(f"| config | test accuracy, mean | per seed | iterations/s (median) | train s (mean) "
          f"|{extra}")
    print("| --- | --- | --- | --- | --- |" + (" --- | --- |" if a.torch else ""))
    for c in configs(a.only):
        name = os.path.relpath(c, os.path.join(ROOT, "configs/hw2"))[:-5]
        rows = []
        for seed in a.seeds:
            out = os.path.join(ROOT, "runs/bench-accuracy", f"{name.replace('/', '_')}-s{seed}")
            rows.append(run(a.clnet, c, seed, out))
        accs = [r["final_test_accuracy"] for r in rows]
        ok = [x for x in accs if x is not None]
        mean = sum(ok) / len(ok) if ok else float("nan")
        ips = sorted(r["iterations_per_second"] for r in rows)[len(rows) // 2]
        ts = sum(r["train_seconds"] for r in rows) / len(rows)
        per = ", ".join("diverged" if r["status"] == "diverged" else f"{x:.4f}"
                        for r, x in zip(rows, accs))
        line = f"| {name} | {mean:.4f} | {per} | {ips:.1f} | {ts:.1f} |"
        if a.torch:
            t = [torch_acc(c, seed) for seed in a.seeds]
            tok = [x for x in t if x is not None]
            tmean = sum(tok) / len(tok) if tok else float("nan")
            line += f" {tmean:.4f} | " + ", ".join(
                "nan" if x is None else f"{x:.4f}" for x in t) + " |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
