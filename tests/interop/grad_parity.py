#!/usr/bin/python3
"""`clnet grad` against PyTorch autograd (issue 24), run by meson in the `interop` suite:

    /usr/bin/python3 tests/interop/grad_parity.py CLNET_BIN [--keep DIR]

For each case, PyTorch draws the weights (bench/torch_ref.py's twin of the config, through
examples/pytorch/clnet_torch.py) and writes them; clnet reads them (init: {file: ...}). Both
take the same 3 rows (seeded, uniform in [0, 1)) and classes; clnet grad prints dL/dx and the
gradient with respect to each named layer's output, PyTorch gives the same from autograd in
float64 on the same float32 weights. Each block must agree to 1e-5 relative to its largest
|value|. The cases: question 3's residual block under a classifier (x read by the hidden layer
and the sum), question 3 itself (configs/hw2/q3_residual.yaml: L = S + R, S against target
rows s given with --targets, 3 rows in [0, 1) like x; PyTorch's loss is bench/torch_ref.py's
Objective), configs/examples/resnet_mnist.yaml (two residual blocks of convolutions) and
question 4 (v)'s plain stack (dL/dx only: its layers have no names).
Exits 77 (skipped) when torch cannot be imported.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("CLNET_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:
    import numpy as np
    import torch
    import yaml  # noqa: F401  (torch_ref reads configs with it)
except ImportError as e:
    print(f"grad_parity: skipped: {e} (install python3-torch: scripts/setup --bench)")
    sys.exit(77)

sys.path.insert(0, os.path.join(ROOT, "examples", "pytorch"))
import clnet_torch  # noqa: E402

TOL = 1e-5
RESIDUAL = """model:
  input: [784]
  layers:
    - dense: {units: 16, activation: sigmoid, name: h}
    - dense: {units: 784, name: o}
    - add: {from: [input, o], name: y}
    - dense: {units: 10}
"""
CASES = [("residual", None, ["h", "y"]),
         ("q3_residual", "configs/hw2/q3_residual.yaml", ["h", "y"]),
         ("resnet", "configs/examples/resnet_mnist.yaml", ["stem", "r1", "block1"]),
         ("stack", "configs/hw2/q4_v_two_sigmoid.yaml", [])]


def blocks(text):
    """clnet grad's output: {name: array (rows, width)}."""
    out, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("dL/d"):
            name = lines[i][4:].split(":")[0]
            rows = int(lines[i].split(": ")[1].split(" rows")[0])
            out[name] = np.array([[float(v) for v in lines[i + 2 + r].split(",")[1:]]
                                  for r in range(rows)])
            i += 2 + rows
        else:
            i += 1
    return out


def layer_name(layer):
    """A layer's name:, beside its kind or in its map; None without one."""
    if not isinstance(layer, dict):
        return None
    if "name" in layer:
        return layer["name"]
    inner = layer[next(iter(layer))]
    return inner.get("name") if isinstance(inner, dict) else None


def run_case(clnet_bin, work, name, config, nodes):
    case = os.path.join(work, name)
    os.makedirs(case)
    if config is None:
        config = os.path.join(case, "model.yaml")
        with open(config, "w") as f:
            f.write(RESIDUAL)
    cfg = clnet_torch.load_config(config if os.path.isabs(config) else os.path.join(ROOT, config))
    net = clnet_torch.build(cfg, seed=3)
    clnet_torch.save(os.path.join(case, "init.safetensors"), clnet_torch.tensors_of(net),
                     {"producer": "tests/interop/grad_parity.py", "format": "pt"})
    with open(os.path.join(case, "case.yaml"), "w") as f:
        json.dump({"base": config if os.path.isabs(config) else os.path.join(ROOT, config),
                   "init": {"weights": {"file": "init.safetensors"},
                            "biases": {"file": "init.safetensors"}}}, f)
    rng = np.random.default_rng(7)
    x = rng.random((3, 784)).astype(np.float32)
    labels = [3, 7, 1]
    obj = clnet_torch.torch_ref.Objective(cfg, net)
    # A loss without a classification term (question 3: S against the clean image) takes
    # target rows, s in [0, 1) here, from --targets; the others the rows' classes.
    s = rng.random((3, 784)).astype(np.float32) if obj.classify is None else None
    np.savetxt(os.path.join(case, "x.csv"), x, delimiter=",", fmt="%.9g")
    if s is not None:
        np.savetxt(os.path.join(case, "t.csv"), s, delimiter=",", fmt="%.9g")
    else:
        with open(os.path.join(case, "t.csv"), "w") as f:
            f.write("".join(f"{c}\n" for c in labels))
    got = subprocess.run([clnet_bin, "grad", os.path.join(case, "case.yaml"), "--inputs",
                          os.path.join(case, "x.csv"), "--targets", os.path.join(case, "t.csv"),
                          ] + (["--nodes", ",".join(nodes)] if nodes else []),
                         capture_output=True, text=True)
    if got.returncode != 0:
        return [f"{name}: clnet grad exit {got.returncode}: {got.stderr.strip()}"]
    clnet = blocks(got.stdout)
    net = net.double()
    xt = torch.from_numpy(x.astype(np.float64)).reshape([3] + net.input_shape).requires_grad_()
    net(xt)
    clean = torch.from_numpy(s.astype(np.float64)) if s is not None else xt
    loss = clnet_torch.torch_ref.Objective(cfg, net)(xt, clean, torch.tensor(labels))[0]
    index = {layer_name(lay): i for i, lay in enumerate(cfg["model"]["layers"])}
    outs = {n: net.last_outs[index[n]] for n in nodes}
    for t in outs.values():
        t.retain_grad()
    loss.backward()
    want = {"x": xt.grad.reshape(3, -1).numpy()}
    want.update({n: t.grad.reshape(3, -1).numpy() for n, t in outs.items()})
    fails = []
    for n, w in want.items():
        g = clnet.get(n)
        err = np.abs(g - w).max() / np.abs(w).max() if g is not None and g.shape == w.shape \
            else float("inf")
        ok = err <= TOL
        print(f"  {'ok  ' if ok else 'FAIL'} {name} dL/d{n}: relative difference {err:.3g} "
              f"(limit {TOL})")
        if not ok:
            fails.append(f"{name} dL/d{n}")
    return fails


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clnet")
    ap.add_argument("--keep", help="work in this folder and keep it")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    work = a.keep or tempfile.mkdtemp(prefix="clnet-grad-")
    os.makedirs(work, exist_ok=True)
    os.environ.setdefault("CLNET_CACHE_DIR", os.path.join(work, "cache"))
    fails = []
    try:
        for name, config, nodes in CASES:
            fails += run_case(os.path.abspath(a.clnet), work, name, config, nodes)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"grad_parity: {'all checks passed' if not fails else 'failed: ' + '; '.join(fails)}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
