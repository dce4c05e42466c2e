#!/usr/bin/env python3
"""GEMM GFLOP/s at the homework's shapes: clnet's two GEMM implementations against numpy on
OpenBLAS, and the CPU's measured FMA limit.

    /usr/bin/python3 bench/gemm_blas.py [--build build] [--reps 20]

clnet's figures come from BUILD/bench/gemm_shapes --json (its own kernels and CLBlast; per
call, from batches of 10 calls enqueued back to back, as training enqueues them, and one
clFinish; median of --reps batches), the limit from
BUILD/bench/fma_peak --json (independent FMA chains on registers, 1 and 2 threads). numpy's
float32 np.matmul runs at the SAME shapes and transposes (a transposed operand is the .T view
of a C-contiguous array, so OpenBLAS gets the transpose flag, as CLBlast does; the output is
preallocated), warm, median of --reps timed calls (at least 20), in child processes with
OPENBLAS_CORETYPE=SkylakeX (this virtual CPU hides its model; see bench/README-torch.md) and
OPENBLAS_NUM_THREADS=1, then 2. Each child reports the library its cblas_sgemm comes from
(dlsym through numpy's extension module, then dladdr), the BLAS libraries mapped
(/proc/self/maps), and OpenBLAS's core name and thread count; anything but OpenBLAS is an error,
not a row of the table.

Prints one markdown table (shape | clnet own | CLBlast | OpenBLAS 1 thread | OpenBLAS 2
threads | own / best OpenBLAS | own / FMA peak at 2 threads), then the FMA line. A clnet
call's time includes its launch (a few microseconds on PoCL back to back) and a tenth of the
clFinish round trip (tens of microseconds), which still weighs on the smallest shapes; numpy's
includes the Python call."""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMPY_PYTHON = "/usr/bin/python3"  # Debian's, with numpy on libblas.so.3 (OpenBLAS here)


def run_json_lines(cmd):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"gemm_blas: {' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


# ---- the child: numpy at the given shapes, in a process with the OpenBLAS variables set ----

class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def sgemm_library(np):
    """The file of the cblas_sgemm numpy's matmul calls: dlsym through numpy's own extension
    module (its dependencies, in the order the loader resolves them), then dladdr."""
    umath = ctypes.CDLL(np.core._multiarray_umath.__file__)
    addr = ctypes.cast(umath.cblas_sgemm, ctypes.c_void_p)
    info = DlInfo()
    libc = ctypes.CDLL(None)
    libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    if libc.dladdr(addr, ctypes.byref(info)) == 0 or not info.dli_fname:
        return "unknown"
    return os.path.realpath(info.dli_fname.decode())


def blas_libraries():
    """The BLAS libraries this process has mapped (paths with 'blas' in their file name)."""
    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in os.path.basename(path).lower() and path not in libs:
                libs.append(path)
    return libs


def child(shapes, reps):
    import numpy as np

    np.matmul(np.ones((4, 4), np.float32), np.ones((4, 4), np.float32))  # loads the BLAS
    info = {"sgemm": sgemm_library(np), "mapped": blas_libraries(), "numpy": np.__version__}
    openblas = [p for p in info["mapped"] if "libopenblas" in os.path.basename(p)]
    if "openblas" in info["sgemm"] and openblas:
        lib = ctypes.CDLL(openblas[0])  # already loaded: the same handle
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info["corename"] = lib.openblas_get_corename().decode()
        info["threads"] = lib.openblas_get_num_threads()
        lib.openblas_get_config.restype = ctypes.c_char_p
        info["config"] = lib.openblas_get_config().decode()
    rng = np.random.default_rng(1)
    results = []
    for s in shapes:
        m, n, k = s["m"], s["n"], s["k"]
        a = rng.random((k, m) if s["trans_a"] else (m, k), dtype=np.float32) - 0.5
        b = rng.random((n, k) if s["trans_b"] else (k, n), dtype=np.float32) - 0.5
        a_op = a.T if s["trans_a"] else a
        b_op = b.T if s["trans_b"] else b
        c = np.empty((m, n), np.float32)
        for _ in range(5):
            np.matmul(a_op, b_op, out=c)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            np.matmul(a_op, b_op, out=c)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        results.append({"shape": s["shape"], "median_ms": med * 1e3,
                        "gflops": 2.0 * m * n * k / med * 1e-9})
    info["results"] = results
    print(json.dumps(info))


def numpy_run(shapes, reps, threads):
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX", OPENBLAS_NUM_THREADS=str(threads))
    cmd = [NUMPY_PYTHON, os.path.abspath(__file__), "--child", "--reps", str(reps)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env,
                       input=json.dumps(shapes))
    if p.returncode != 0:
        sys.exit(f"gemm_blas: numpy with {threads} thread(s) ({NUMPY_PYTHON}) exited "
                 f"{p.returncode}: {p.stderr.strip()}")
    info = json.loads(p.stdout.strip().splitlines()[-1])
    if "corename" not in info:
        sys.exit(f"gemm_blas: numpy ({NUMPY_PYTHON}) is not on OpenBLAS: its cblas_sgemm is "
                 f"in {info['sgemm']} (BLAS libraries mapped: {', '.join(info['mapped'])}); "
                 "install libopenblas0-pthread (scripts/setup --bench)")
    if info["threads"] != threads:
        sys.exit(f"gemm_blas: OpenBLAS runs {info['threads']} threads where "
                 f"OPENBLAS_NUM_THREADS={threads} was set")
    return info


# ---- the parent -------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="the meson build folder (default build)")
    ap.add_argument("--reps", type=int, default=20, help="timed calls per shape (>= 20)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.reps < 20:
        ap.error("--reps: at least 20")
    if a.child:
        child(json.load(sys.stdin), a.reps)
        return
    build = os.path.join(ROOT, a.build) if not os.path.isabs(a.build) else a.build
    for tool in ("gemm_shapes", "fma_peak"):
        if not os.access(os.path.join(build, "bench", tool), os.X_OK):
            sys.exit(f"gemm_blas: {build}/bench/{tool} is missing: ninja -C {a.build} first")

    clnet = run_json_lines([os.path.join(build, "bench/gemm_shapes"), "--json", str(a.reps)])
    fma = run_json_lines([os.path.join(build, "bench/fma_peak"), "--json"])
    shapes, own, clblast = [], {}, {}
    for r in clnet:
        if r["shape"] not in own and r["shape"] not in clblast:
            shapes.append({key: r[key] for key in ("shape", "m", "n", "k", "trans_a", "trans_b")})
        {"own": own, "clblast": clblast}[r["impl"]][r["shape"]] = r["gflops"]
    blas = {t: numpy_run(shapes, a.reps, t) for t in (1, 2)}
    peak = {r["threads"]: r for r in fma}

    info = blas[1]
    print(f"clnet on {clnet[0]['device']}; numpy {info['numpy']} on {info['sgemm']} "
          f"({info['config']}; core {info['corename']}, OPENBLAS_CORETYPE=SkylakeX); "
          f"median of {a.reps} warm batches of 10 back-to-back calls (clnet) or calls (numpy)\n")
    print("| shape | clnet own GFLOP/s | CLBlast | OpenBLAS 1 thread | OpenBLAS 2 threads "
          "| own / best OpenBLAS | own / FMA peak (2 threads) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, s in enumerate(shapes):
        o, c = own[s["shape"]], clblast[s["shape"]]
        b1, b2 = blas[1]["results"][i]["gflops"], blas[2]["results"][i]["gflops"]
        print(f"| {s['shape']} | {o:.1f} | {c:.1f} | {b1:.1f} | {b2:.1f} | "
              f"{o / max(b1, b2):.2f} | {o / peak[2]['gflops']:.2f} |")
    print(f"\nFMA peak ({fma[0]['isa']}, measured by bench/fma_peak): "
          f"{peak[1]['gflops']:.1f} GFLOP/s on 1 thread, {peak[2]['gflops']:.1f} on 2 threads")


if __name__ == "__main__":
    main()
