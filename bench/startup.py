#!/usr/bin/env python3
"""clnet's start-up time, cold and warm, and the memory of a training run.

    python3 bench/startup.py [CONFIG ...] [--repeats 5] [--clnet build/clnet]

(any python3: the standard library only). CONFIG defaults to configs/hw2/q4_v_two_sigmoid.yaml
and configs/hw2/q5_iii_cnn_decay.yaml. Each run is

    clnet train CONFIG --set train.iterations=1 --set train.eval_every=1 --quiet --out TMP

COLD: both kernel caches empty. PoCL's through POCL_CACHE_DIR, clnet's own program-binary cache
through XDG_CACHE_HOME (src/runtime/cache.c: $CLNET_CACHE_DIR, else $XDG_CACHE_HOME/clnet,
else ~/.cache/clnet; CLNET_CACHE_DIR and CLNET_NO_CACHE are removed from the runs' environment),
both pointed at a fresh empty folder for every cold run. WARM: one such pair of folders, filled
by a first untimed run. Cold and warm runs alternate, R of each per config. ~/.cache is never
touched.

Reported per config and mode, medians over the R runs:
  - startup s: summary.json's startup_seconds, from the first thing clnet's main does
    (cli_parse, src/cli/cli.c) to just before the first training step (run_loop,
    src/train/train.c): reading the config, loading MNIST, opening the OpenCL device, building
    or loading every kernel program and creating every kernel, building the model, allocating
    and uploading to the device. Not in it: the dynamic loader before main;
  - wall s: the whole process, as the user waits for it: start-up, the one step, the one
    evaluation of the test set, writing the run directory and its plots, exit;
  - after start s: wall minus startup. PoCL compiles a kernel for its work-group size at the
    kernel's first launch, after start-up: in a cold run most of this column is that
    compiling, inside the first step and the first evaluation (a cold q5_iii run measured
    29 s of start-up, then PoCL cache files written 38-48 s after the process started and the
    first step's line at 49 s);
  - peak RSS: the process's, from os.wait4's rusage, and summary.json's peak_host_rss_bytes
    (getrusage in the process when it writes the summary: without what exit costs);
  - device MiB: summary.json's device_bytes_allocated (every buffer clnet created on the
    device; CLBlast's own scratch buffers are not counted).
  - cache files: how many files PoCL's and clnet's caches held after the mode's last run
    (that they were used; warm runs add none).
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
TARGET = {"cold": 10.0, "warm": 1.0}  # seconds to the first step (issue 7)
MIB = 1024.0 * 1024.0


def run_once(clnet, config, out, caches):
    """One 1-iteration training run with its caches in `caches`: the measurements."""
    env = {k: v for k, v in os.environ.items() if k not in ("CLNET_CACHE_DIR", "CLNET_NO_CACHE")}
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
    for key in ("startup_seconds", "peak_host_rss_bytes", "device_bytes_allocated"):
        if not isinstance(s.get(key), (int, float)):
            sys.exit(f"startup: {out}/summary.json has no {key}: is {clnet} older than the "
                     "memory fields?")
    return {"startup": s["startup_seconds"], "wall": wall,
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
        print(f"{a.repeats} cold and {a.repeats} warm runs per config, alternating; "
              f"1 iteration each; medians\n")
        print("| config | mode | startup s (min-max) | target | wall s | after start s "
              "| peak RSS MiB (wait4) | peak RSS MiB (summary) | device MiB "
              "| cache files (PoCL, clnet) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for n, config in enumerate(a.configs):
            path = config if os.path.isabs(config) else os.path.join(ROOT, config)
            name = os.path.splitext(os.path.basename(config))[0]
            warm_caches = os.path.join(tmp, f"{n}-warm-caches")
            run_once(clnet, path, os.path.join(tmp, f"{n}-fill"), warm_caches)
            runs, files = {"cold": [], "warm": []}, {}
            for r in range(a.repeats):
                cold_caches = os.path.join(tmp, f"{n}-cold-caches-{r}")
                runs["cold"].append(run_once(clnet, path, os.path.join(tmp, f"{n}-cold-{r}"),
                                             cold_caches))
                files["cold"] = cache_files(cold_caches)
                runs["warm"].append(run_once(clnet, path, os.path.join(tmp, f"{n}-warm-{r}"),
                                             warm_caches))
                files["warm"] = cache_files(warm_caches)
            for mode in ("cold", "warm"):
                rs = runs[mode]
                med = lambda key: statistics.median(x[key] for x in rs)  # noqa: E731
                starts = sorted(x["startup"] for x in rs)
                verdict = "met" if med("startup") < TARGET[mode] else "MISSED"
                print(f"| {name} | {mode} | {med('startup'):.3f} ({starts[0]:.3f}-"
                      f"{starts[-1]:.3f}) | < {TARGET[mode]:g} s: {verdict} | {med('wall'):.2f} | "
                      f"{statistics.median(x['wall'] - x['startup'] for x in rs):.2f} | "
                      f"{med('rss_wait4') / MIB:.0f} | {med('rss_summary') / MIB:.0f} | "
                      f"{med('device') / MIB:.1f} | {files[mode][0]}, {files[mode][1]} |",
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
