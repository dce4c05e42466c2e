#!/usr/bin/env python3
"""clnet's start-up time, cold and warm, and the memory of a training run.

    python3 bench/startup.py [CONFIG ...] [--repeats 5] [--clnet build/clnet]

(any python3: the standard library only). CONFIG defaults to configs/hw2/q4_v_two_sigmoid.yaml
and configs/hw2/q5_iii_cnn_decay.yaml. Each run is

    clnet train CONFIG --set train.iterations=1 --set train.eval_every=1 --quiet --out TMP

COLD: both kernel caches empty. PoCL's through POCL_CACHE_DIR, clnet's own cache folder
through XDG_CACHE_HOME (src/runtime/cache.c: $CLNET_CACHE_DIR, else $XDG_CACHE_HOME/clnet,
else ~/.cache/clnet; CLNET_CACHE_DIR, CLNET_NO_CACHE and CLNET_COMPILE_HELPER are removed from
the runs' environment), both pointed at a fresh empty folder for every cold run (on PoCL clnet
leaves caching program binaries to PoCL's cache: src/runtime/runtime.h; its own folder gets
the compile helper's record, src/train/compile_helper.h). A cold run starts the compile helper
(a second process compiling half of the first step's kernels) as a user's first run does.
COLD, NO HELPER: the same with CLNET_COMPILE_HELPER=0, to show what the helper gains. WARM: one
such pair of folders, filled by a first untimed run (whose record means no helper is started).
The three modes alternate, R runs of each per config. ~/.cache is never touched.

Reported per config and mode, medians over the R runs:
  - first step s: summary.json's first_step_seconds, THE start-up figure, checked against the
    issue's targets: from the first thing clnet's main does (cli_parse, src/cli/cli.c) to the
    first training step finished (a clFinish after it, src/train/train.c): everything in
    startup s below, plus the step itself with what the driver compiles at each kernel's first
    launch (PoCL: the kernel's work-group function for its local size; cl/gemm.cl's GEMM
    kernels, one per tile path, take 0.2-0.5 s each here, where gemm_nn and gemm_tn holding all
    three paths took 7-13 s each, most of a cold start). Not in it: the dynamic loader before
    main;
  - startup s: summary.json's startup_seconds, main to just before the first step: reading the
    config, loading MNIST while the OpenCL device opens and builds the kernel programs the
    model uses, creating their kernels, building the model, allocating and uploading to the
    device;
  - wall s: the whole process, as the user waits for it: start-up, the one step, the one
    evaluation of the test set, writing the run directory and its plots, exit;
  - after first step s: wall minus first step (the evaluation's own first launches are in it);
  - peak RSS: the process's, from os.wait4's rusage, and summary.json's peak_host_rss_bytes
    (getrusage in the process when it writes the summary: without what exit costs);
  - device MiB: summary.json's device_bytes_allocated (every buffer clnet created on the
    device; CLBlast's own scratch buffers are not counted).
  - cache files: how many files PoCL's and clnet's caches held after the mode's last run
    (that they were used; warm runs add none; clnet's: the compile helper's record).
The issue's targets: warm start under 1 s, cold start under 10 s."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIGS = ["configs/hw2/q4_v_two_sigmoid.yaml", "configs/hw2/q5_iii_cnn_decay.yaml"]
TARGET = {"cold": 10.0, "cold, no helper": 10.0, "warm": 1.0}  # s to the first step (issue 7)
MODES = ("cold", "cold, no helper", "warm")
MIB = 1024.0 * 1024.0


def run_once(clnet, config, out, caches, helper=True):
    """One 1-iteration training run with its caches in `caches`: the measurements. helper
    False sets CLNET_COMPILE_HELPER=0."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CLNET_CACHE_DIR", "CLNET_NO_CACHE", "CLNET_COMPILE_HELPER")}
    if not helper:
        env["CLNET_COMPILE_HELPER"] = "0"
    env["POCL_CACHE_DIR"] = os.path.join(caches, "pocl")
    env["XDG_CACHE_HOME"] = os.path.join(caches, "xdg")
    os.makedirs(env["POCL_CACHE_DIR"], exist_ok=True)
    os.makedirs(env["XDG_CACHE_HOME"], exist_ok=True)
    cmd = [clnet, "train", config, "--set", "train.iterations=1", "--set", "train.eval_every=1",
           "--quiet", "--out", out]
    with tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit(f"startup: {' '.join(cmd)} exited {p.returncode}: "
                     f"{err.read().decode(errors='replace').strip()}")
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    for key in ("startup_seconds", "first_step_seconds", "peak_host_rss_bytes",
                "device_bytes_allocated"):
        if not isinstance(s.get(key), (int, float)):
            sys.exit(f"startup: {out}/summary.json has no {key}: is {clnet} older than "
                     "first_step_seconds and the memory fields?")
    return {"first": s["first_step_seconds"], "startup": s["startup_seconds"], "wall": wall,
            "rss_wait4": usage.ru_maxrss * 1024.0, "rss_summary": s["peak_host_rss_bytes"],
            "device": s["device_bytes_allocated"]}


def cache_files(caches):
    """How many files each cache holds: (PoCL's, clnet's). PoCL leaves a tempfile_XXXXXX in
    its folder on every run, cache hit or not: those are not counted."""
    count = lambda d: sum(1 for _, _, fs in os.walk(d)  # noqa: E731
                          for f in fs if not f.startswith("tempfile_"))
    return count(os.path.join(caches, "pocl")), count(os.path.join(caches, "xdg", "clnet"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("configs", nargs="*", default=DEFAULT_CONFIGS)
    ap.add_argument("--repeats", "-r", type=int, default=5, help="runs per mode (default 5)")
    ap.add_argument("--clnet", default=os.path.join(ROOT, "build/clnet"))
    a = ap.parse_args()
    if a.repeats < 1:
        ap.error("--repeats: at least 1")
    clnet = os.path.abspath(a.clnet)
    if not os.access(clnet, os.X_OK):
        sys.exit(f"startup: {clnet} is missing: build it first (ninja -C build)")
    tmp = tempfile.mkdtemp(prefix="clnet-startup-")
    try:
        print(f"{a.repeats} runs per config of each mode ({', '.join(MODES)}), alternating; "
              f"1 iteration each; medians\n")
        print("| config | mode | first step s (min-max) | target | startup s | wall s "
              "| after first step s | peak RSS MiB (wait4) | peak RSS MiB (summary) "
              "| device MiB | cache files (PoCL, clnet) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for n, config in enumerate(a.configs):
            path = config if os.path.isabs(config) else os.path.join(ROOT, config)
            name = os.path.splitext(os.path.basename(config))[0]
            warm_caches = os.path.join(tmp, f"{n}-warm-caches")
            run_once(clnet, path, os.path.join(tmp, f"{n}-fill"), warm_caches)
            runs, files = {m: [] for m in MODES}, {}
            for r in range(a.repeats):
                for i, mode in enumerate(MODES):
                    caches = (warm_caches if mode == "warm"
                              else os.path.join(tmp, f"{n}-cold-caches-{r}-{i}"))
                    runs[mode].append(run_once(clnet, path, os.path.join(tmp, f"{n}-{r}-{i}"),
                                               caches, helper=mode != "cold, no helper"))
                    files[mode] = cache_files(caches)
            for mode in MODES:
                rs = runs[mode]
                med = lambda key: statistics.median(x[key] for x in rs)  # noqa: E731
                firsts = sorted(x["first"] for x in rs)
                verdict = "met" if med("first") < TARGET[mode] else "MISSED"
                print(f"| {name} | {mode} | {med('first'):.3f} ({firsts[0]:.3f}-"
                      f"{firsts[-1]:.3f}) | < {TARGET[mode]:g} s: {verdict} | "
                      f"{med('startup'):.3f} | {med('wall'):.2f} | "
                      f"{statistics.median(x['wall'] - x['first'] for x in rs):.2f} | "
                      f"{med('rss_wait4') / MIB:.0f} | {med('rss_summary') / MIB:.0f} | "
                      f"{med('device') / MIB:.1f} | {files[mode][0]}, {files[mode][1]} |",
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
