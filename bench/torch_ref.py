#!/usr/bin/python3
"""PyTorch reference for clnet's benchmark.

Reads a clnet experiment file (base: chain, defaults as clnet applies them), builds the
network the way the homework's PyTorch code does (explicit nn.Parameter tensors, X.mm(W) + b,
F.conv2d, .view(-1, n)), trains it on MNIST held as host tensors, and reports the training
speed (training steps only) and the final test-set metrics.

    /usr/bin/python3 bench/torch_ref.py CONFIG.yaml [--iterations N] [--seed S] [--threads T]
                     [--data DIR] [--blas-dir DIR] [--device cpu|cuda] [--curve]
                     [--stop-on-nonfinite] [--clnet-sampler] [--json]

--device cuda (bench/gpu/) holds the model and the data set on the GPU; each step still ends
in L.item(), a wait for the GPU, as clnet's steps end in the chunk's one wait or fewer.

torch's matrix products go through libblas.so.3: Debian's python3-torch gets the reference
BLAS (3-5 GFLOP/s here) unless OpenBLAS (libopenblas0-pthread) is installed, or --blas-dir
points at a folder with OpenBLAS's libblas.so.3. The result reports the library loaded
("blas") and OPENBLAS_CORETYPE. --threads T sets torch.set_num_threads(T) and also
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS (OpenBLAS reads its count when it is loaded).
"""

import argparse
import json
import math
import os
import sys
import time


def _opt_from_argv(argv, name):
    for i, x in enumerate(argv):
        if x == name and i + 1 < len(argv):
            return argv[i + 1]
        if x.startswith(name + "="):
            return x.split("=", 1)[1]
    return None


# torch links libblas.so.3, which on Debian is the reference BLAS unless OpenBLAS is installed:
# --blas-dir DIR (a folder holding another libblas.so.3, e.g. OpenBLAS's) re-runs this script
# with DIR first on LD_LIBRARY_PATH, since the loader reads it only at process start.
_B = _opt_from_argv(sys.argv[1:], "--blas-dir")
if _B and os.environ.get("TORCH_REF_BLAS_DIR") != _B:
    if not os.path.exists(os.path.join(_B, "libblas.so.3")):
        print(f"torch_ref: error: --blas-dir {_B}: no libblas.so.3 there", file=sys.stderr)
        sys.exit(2)
    env = dict(os.environ, TORCH_REF_BLAS_DIR=_B)
    env["LD_LIBRARY_PATH"] = _B + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

# OpenBLAS reads its thread count when it is loaded (with torch): torch.set_num_threads only
# sets ATen's OpenMP pool, so --threads also caps OpenBLAS (and OpenMP) before the import.
_T = _opt_from_argv(sys.argv[1:], "--threads")
if _T is not None and _T.isdigit() and int(_T) > 0:
    os.environ["OPENBLAS_NUM_THREADS"] = _T
    os.environ["OMP_NUM_THREADS"] = _T

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import yaml  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Config: base: chain, merge, defaults (as `clnet help config` lists them)

# Values that are a choice between words ({sgd: {...}} or {adam: {...}}): a child that picks
# another word replaces the base's choice; the same word merges its options.
CHOICE_PATHS = {
    ("init", "weights"), ("init", "biases"),
    ("train", "optimizer"), ("train", "schedule"),
}


class ConfigError(Exception):
    pass


def _merge(dst, src, path=()):
    for k, sv in src.items():
        p = path + (k,)
        if k not in dst:
            dst[k] = sv
            continue
        dv = dst[k]
        if isinstance(dv, dict) and isinstance(sv, dict):
            if p in CHOICE_PATHS:
                if len(dv) == 1 and len(sv) == 1 and next(iter(dv)) == next(iter(sv)):
                    word = next(iter(sv))
                    if isinstance(dv[word], dict) and isinstance(sv[word], dict):
                        _merge(dv[word], sv[word], p + (word,))
                    else:
                        dv[word] = sv[word]
                else:
                    dst[k] = sv
            else:
                _merge(dv, sv, p)
        else:
            dst[k] = sv  # scalars and lists (model.layers included) are replaced
    return dst


def load_config(path, chain=()):
    real = os.path.realpath(path)
    if real in chain:
        raise ConfigError(f"{path}: base: cycle")
    try:
        with open(path) as f:
            tree = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror}")
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        raise ConfigError(f"{path}: expected a map at the top level")
    # data.dir relative to the file that sets it, as clnet reads it (the working folder's
    # when no such folder is next to the file)
    data = tree.get("data")
    if isinstance(data, dict) and isinstance(data.get("dir"), str) and \
            not os.path.isabs(data["dir"]):
        here = os.path.join(os.path.dirname(os.path.abspath(path)), data["dir"])
        if os.path.isdir(here):
            data["dir"] = here
    base = tree.pop("base", None)
    if base is None:
        return tree
    bpath = base if os.path.isabs(base) else os.path.join(os.path.dirname(path), base)
    btree = load_config(bpath, chain + (real,))
    btree.pop("name", None)  # a run is named by its own file
    return _merge(btree, tree)


def choice(value, what):
    """A choice written as a word ('zeros') or a one-key map ({adam: {lr: ...}})."""
    if isinstance(value, str):
        return value, {}
    if isinstance(value, dict) and len(value) == 1:
        word, opts = next(iter(value.items()))
        return word, opts if opts is not None else {}
    raise ConfigError(f"{what}: expected a word or a map with one key, got {value!r}")


def resolve(cfg, path):
    cfg.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    cfg.setdefault("seed", 1)
    data = cfg.setdefault("data", {}) or {}
    cfg["data"] = data
    data.setdefault("set", "mnist")
    data.setdefault("dir", "data/mnist")
    data.setdefault("shuffle", True)
    model = cfg.get("model")
    if not isinstance(model, dict) or "input" not in model or "layers" not in model:
        raise ConfigError(f"{path}: model.input and model.layers are required")
    init = cfg.setdefault("init", {}) or {}
    cfg["init"] = init
    init.setdefault("weights", {"normal": {"mean": 0, "std": 0.1}})
    init.setdefault("biases", "zeros")
    train = cfg.setdefault("train", {}) or {}
    cfg["train"] = train
    train.setdefault("iterations", 2000)
    train.setdefault("batch_size", 100)
    train.setdefault("loss", "cross_entropy")
    train.setdefault("optimizer", {"sgd": {"lr": 0.5}})
    train.setdefault("schedule", "constant")
    train.setdefault("eval_every", 100)
    train.setdefault("eval_batch_size", 1000)
    return cfg


# ---------------------------------------------------------------------------------------------
# Model: explicit parameters, as in the homework

ACTIVATIONS = {
    "identity": lambda x: x, "linear": lambda x: x, "none": lambda x: x,
    "sigmoid": torch.sigmoid, "relu": F.relu, "tanh": torch.tanh,
    "step": lambda x: (x >= 0).to(x.dtype),  # no gradient, as a hard threshold has none
}


def pair(v, what):
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return (v[0], v[1])
    raise ConfigError(f"{what}: expected n or [rows, cols], got {v!r}")


def init_tensor(spec, shape, fan_in, fan_out, what):
    word, opts = choice(spec, what)
    if word == "zeros":
        return torch.zeros(shape)
    if word == "constant":
        return torch.full(shape, float(opts if not isinstance(opts, dict) else opts["value"]))
    if word == "normal":
        mean = float(opts.get("mean", 0.0))
        std = float(opts["std"])
        return mean + std * torch.randn(shape)  # 0.1 * torch.randn(...) for std 0.1
    if word == "uniform":
        lo, hi = float(opts["low"]), float(opts["high"])
        return lo + (hi - lo) * torch.rand(shape)
    if word == "xavier":
        lim = math.sqrt(6.0 / (fan_in + fan_out))
        return -lim + 2 * lim * torch.rand(shape)
    if word == "he":
        return math.sqrt(2.0 / fan_in) * torch.randn(shape)
    raise ConfigError(f"{what}: init '{word}' is not supported by torch_ref.py")


class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        model = cfg["model"]
        self.input_shape = list(model["input"])
        self.steps = []  # (kind, index, options, sources) in order; a source -1 is the input
        names, shapes = {"input": -1}, {-1: self.input_shape}
        self.names, self.shapes = names, shapes  # node name -> layer index (-1: the input)
        self.params = nn.ParameterList()
        ginit = cfg["init"]
        for i, layer in enumerate(model["layers"]):
            graph = {}  # name: and from: beside the kind ({activation: relu, name: a})
            if isinstance(layer, dict) and len(layer) > 1:
                layer = dict(layer)
                graph = {k: layer.pop(k) for k in ("name", "from") if k in layer}
            kind, opts = choice(layer, f"model.layers.{i}")
            opts = opts if opts is not None else {}
            if isinstance(opts, dict):
                graph.update({k: opts[k] for k in ("name", "from") if k in opts})
            srcs = graph.get("from", [i - 1])
            srcs = [names[x] if isinstance(x, str) else x
                    for x in (srcs if isinstance(srcs, list) else [srcs])]
            shape = shapes[srcs[0]]
            if "name" in graph:
                names[graph["name"]] = i
            linit = (opts.get("init", {}) or {}) if isinstance(opts, dict) else {}
            wspec = linit.get("weights", ginit["weights"])
            bspec = linit.get("biases", ginit["biases"])
            where = f"model.layers.{i}.{kind}"
            if kind == "dense":
                if len(shape) != 1:
                    raise ConfigError(f"{where}: input shape {shape} is not flat (add flatten)")
                n_in, n_out = shape[0], int(opts["units"])
                if "weights" in opts:  # inline: one row per unit (W x + b); stored [in, out]
                    W = torch.tensor(opts["weights"], dtype=torch.float32).t().contiguous()
                else:
                    W = init_tensor(wspec, (n_in, n_out), n_in, n_out, where + ".init.weights")
                if "bias" in opts:
                    b = torch.tensor(opts["bias"], dtype=torch.float32)
                else:
                    b = init_tensor(bspec, (n_out,), n_in, n_out, where + ".init.biases")
                self.params.append(nn.Parameter(W))
                self.params.append(nn.Parameter(b))
                act = opts.get("activation", "identity")
                self.steps.append(("dense", len(self.params) - 2, ACTIVATIONS[act]))
                shape = [n_out]
            elif kind == "conv2d":
                if len(shape) != 3:
                    raise ConfigError(f"{where}: needs a [C, H, W] input, got {shape}")
                c, h, w = shape
                f = int(opts["filters"])
                kr, kc = pair(opts["size"], where + ".size")
                sr, sc = pair(opts.get("stride", 1), where + ".stride")
                pr, pc = pair(opts.get("pad", 0), where + ".pad")
                fan_in, fan_out = c * kr * kc, f * kr * kc
                W = init_tensor(wspec, (f, c, kr, kc), fan_in, fan_out, where + ".init.weights")
                b = init_tensor(bspec, (f,), fan_in, fan_out, where + ".init.biases")
                self.params.append(nn.Parameter(W))
                self.params.append(nn.Parameter(b))
                act = opts.get("activation", "identity")
                self.steps.append(("conv2d", len(self.params) - 2,
                                   (ACTIVATIONS[act], (sr, sc), (pr, pc))))
                shape = [f, (h + 2 * pr - kr) // sr + 1, (w + 2 * pc - kc) // sc + 1]
            elif kind in ("maxpool2d", "avgpool2d"):
                if len(shape) != 3:
                    raise ConfigError(f"{where}: needs a [C, H, W] input, got {shape}")
                c, h, w = shape
                kr, kc = pair(opts["size"], where + ".size")
                sr, sc = pair(opts.get("stride", opts["size"]), where + ".stride")
                pr, pc = pair(opts.get("pad", 0), where + ".pad")
                self.steps.append((kind, None, ((kr, kc), (sr, sc), (pr, pc))))
                shape = [c, (h + 2 * pr - kr) // sr + 1, (w + 2 * pc - kc) // sc + 1]
            elif kind == "batchnorm":  # gamma 1, beta 0, running stats 0 and 1, as nn.BatchNorm
                c = shape[0]
                self.params.append(nn.Parameter(torch.ones(c)))
                self.params.append(nn.Parameter(torch.zeros(c)))
                self.register_buffer(f"running_mean_{i}", torch.zeros(c))
                self.register_buffer(f"running_var_{i}", torch.ones(c))
                self.steps.append(("batchnorm", len(self.params) - 2,
                                   (i, float(opts.get("momentum", 0.1)),
                                    float(opts.get("eps", 1e-5)))))
            elif kind == "flatten":
                n = 1
                for d in shape:
                    n *= d
                self.steps.append(("flatten", None, n))
                shape = [n]
            elif kind == "dropout":
                self.steps.append(("dropout", None, float(opts["p"])))
            elif kind == "activation":
                act = opts if isinstance(opts, str) else layer["activation"]
                self.steps.append(("activation", None, ACTIVATIONS[act]))
            elif kind == "add":
                self.steps.append(("add", None, None))
            elif kind == "concat":
                shape = [sum(shapes[j][0] for j in srcs)] + shape[1:]
                self.steps.append(("concat", None, None))
            else:
                raise ConfigError(f"{where}: layer kind '{kind}' is not supported")
            self.steps[-1] = self.steps[-1] + (srcs,)
            shapes[i] = shape
        self.output_shape = shape

    def forward(self, X):
        p = self.params
        outs = {-1: X}  # the layers are listed after the ones they read (torch_ref's rule)
        for i, (kind, k, o, srcs) in enumerate(self.steps):
            X = outs[srcs[0]]
            if kind == "dense":
                X = o(X.mm(p[k]) + p[k + 1])
            elif kind == "conv2d":
                act, stride, pad = o
                X = act(F.conv2d(X, p[k], bias=p[k + 1], stride=stride, padding=pad))
            elif kind == "maxpool2d":
                X = F.max_pool2d(X, *o)
            elif kind == "avgpool2d":
                X = F.avg_pool2d(X, *o, count_include_pad=True)
            elif kind == "batchnorm":
                bn, momentum, eps = o
                X = F.batch_norm(X, getattr(self, f"running_mean_{bn}"),
                                 getattr(self, f"running_var_{bn}"), p[k], p[k + 1],
                                 training=self.training, momentum=momentum, eps=eps)
            elif kind == "flatten":
                X = X.view(-1, o)
            elif kind == "add":
                for j in srcs[1:]:
                    X = X + outs[j]
            elif kind == "concat":
                X = torch.cat([outs[j] for j in srcs], dim=1)
            elif kind == "dropout":
                X = F.dropout(X, p=o, training=self.training)
            else:
                X = o(X)
            outs[i] = X
        self.last_outs = outs  # every layer's output, for gradients with respect to them
        return X  # logits


def loss_fn(name):
    if name == "cross_entropy":
        return lambda z, y: F.cross_entropy(z, y)
    if name == "naive_softmax_log":
        # The homework's first code: softmax in the model, then -log; no clamping.
        return lambda z, y: -torch.log(F.softmax(z, dim=1))[torch.arange(len(y)), y].mean()
    raise ConfigError(f"train.loss: '{name}' is not supported")


CLASSIFY = ("cross_entropy", "naive_softmax_log")
TERM_KINDS = CLASSIFY + ("mse", "linear", "l1", "l2")


class Objective:
    """train.loss as clnet reads it: one word (a classification loss on the last node), or a
    list of terms {KIND: {on: NODE, target: T, r: R, weight: W, name: N}}. The total is the sum
    over terms of weight * (the batch mean of the term's per-row value); per row, with v the
    node's output and t the target: mse 1/2 sum (v - t)^2 (t: labels one-hot, input as fed,
    clean (before noise) or a node's output, the latter held constant), linear sum r v, l1
    sum |v|, l2 sum v^2."""

    def __init__(self, cfg, net):
        spec = cfg["train"]["loss"]
        last = len(net.steps) - 1
        items = [{spec: {}}] if isinstance(spec, str) else spec
        if not isinstance(items, list) or not items:
            raise ConfigError("train.loss: expected a word or a non-empty list of terms")
        self.terms = []
        for i, item in enumerate(items):
            kind, o = choice(item, f"train.loss.{i}")
            if True in o:  # PyYAML reads YAML 1.1, where the key `on` is the boolean true
                o = dict(o)
                o["on"] = o.pop(True)
            if kind not in TERM_KINDS:
                raise ConfigError(f"train.loss.{i}: '{kind}' is not supported")
            on = net.names[o["on"]] if "on" in o else last
            t = {"kind": kind, "on": on, "weight": float(o.get("weight", 1)),
                 "name": o.get("name"), "target": o.get("target", "labels")}
            width = int(np.prod(net.shapes[on]))
            if kind in CLASSIFY and width != 10:
                raise ConfigError(f"train.loss.{i}: {kind} needs 10 outputs, the node has "
                                  f"{width}")
            if kind == "linear":
                t["r"] = self._r(o["r"], width, f"train.loss.{i}.linear.r", cfg)
            self.terms.append(t)
        self.classify = next((t for t in self.terms if t["kind"] in CLASSIFY), None)
        kinds = [t["kind"] for t in self.terms]
        layer_names = {v: k for k, v in net.names.items()}
        for t in self.terms:  # default names: the kind, or kind_node when two share a kind
            if t["name"] is None:
                t["name"] = t["kind"] if kinds.count(t["kind"]) == 1 else \
                    f"{t['kind']}_{layer_names.get(t['on'], t['on'])}"
        self.names = [t["name"] for t in self.terms]
        self.net = net

    @staticmethod
    def _r(r, width, what, cfg):
        if isinstance(r, (int, float)):
            return torch.full((width,), float(r))
        if isinstance(r, list):
            if len(r) != width:
                raise ConfigError(f"{what}: {len(r)} values for a node of {width}")
            return torch.tensor(r, dtype=torch.float32)
        if isinstance(r, dict) and "file" in r:
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__))), "examples", "pytorch"))
            from safetensors_io import load
            tensors, _ = load(os.path.join(cfg.get("_dir", "."), r["file"]))
            return torch.from_numpy(tensors[r["tensor"]].astype(np.float32).reshape(width))
        raise ConfigError(f"{what}: expected a number, a list or {{file:, tensor:}}")

    def __call__(self, X, clean, y):
        """(total, {name: term}) of the forward pass just taken (net.last_outs) on X (as
        fed), its clean images and labels y."""
        outs, total, values = self.net.last_outs, 0, {}
        for t in self.terms:
            v = outs[t["on"]]
            v = v.reshape(len(v), -1)
            k = t["kind"]
            if k in CLASSIFY:
                value = loss_fn(k)(v, y)
            elif k == "mse":
                value = 0.5 * ((v - self._target(t["target"], v, X, clean, y)) ** 2).sum(1).mean()
            elif k == "linear":
                value = (v * t["r"].to(v.dtype).to(v.device)).sum(1).mean()
            elif k == "l1":
                value = v.abs().sum(1).mean()
            else:
                value = (v * v).sum(1).mean()
            values[t["name"]] = value
            total = total + t["weight"] * value
        return total, values

    def _target(self, target, v, X, clean, y):
        if target == "labels":
            return F.one_hot(y, v.shape[1]).to(v.dtype)
        if target == "input":
            return X.reshape(len(X), -1)
        if target == "clean":
            return clean.reshape(len(clean), -1)
        node = self.net.last_outs[self.net.names[target]]
        return node.detach().reshape(len(node), -1)  # a target, not a path for the gradient


def make_optimizer(spec, params):
    word, o = choice(spec, "train.optimizer")
    if word == "sgd":
        return torch.optim.SGD(params, lr=float(o["lr"]), momentum=float(o.get("momentum", 0)),
                               weight_decay=float(o.get("weight_decay", 0))), float(o["lr"])
    if word == "adam":
        return torch.optim.Adam(params, lr=float(o["lr"]),
                                betas=(float(o.get("beta1", 0.9)), float(o.get("beta2", 0.999))),
                                eps=float(o.get("eps", 1e-8)),
                                weight_decay=float(o.get("weight_decay", 0))), float(o["lr"])
    raise ConfigError(f"train.optimizer: '{word}' is not supported")


def make_schedule(spec, lr):
    word, o = choice(spec, "train.schedule")
    if word == "constant":
        return None
    if word == "exp_decay":
        lo, hi, tau = float(o["lr_min"]), float(o["lr_max"]), float(o["tau"])
        return lambda t: lo + (hi - lo) * math.exp(-t / tau)
    if word == "step":
        every, gamma = int(o["every"]), float(o.get("gamma", 0.1))
        return lambda t: lr * gamma ** (t // every)
    raise ConfigError(f"train.schedule: '{word}' is not supported")


# ---------------------------------------------------------------------------------------------
# Data: the four IDX files, as host tensors

def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ConfigError(f"{path}: not an unsigned-byte IDX file")
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def load_mnist_u8(d):
    """The four IDX files as numpy arrays: train images (N, 28, 28) uint8, labels, test ..."""
    return tuple(read_idx(os.path.join(d, n)) for n in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))


def images_f32(u8, input_shape):
    a = u8.astype(np.float32) / 255.0
    return torch.from_numpy(a.reshape([a.shape[0]] + list(input_shape)))


def load_mnist(d, input_shape):
    xtr, ytr, xte, yte = load_mnist_u8(d)
    return (images_f32(xtr, input_shape), torch.from_numpy(ytr.astype(np.int64)),
            images_f32(xte, input_shape), torch.from_numpy(yte.astype(np.int64)))


def noise_sigma(cfg):
    """data.noise: {gaussian: SIGMA} -> SIGMA, or None without noise."""
    spec = cfg["data"].get("noise")
    if spec is None:
        return None
    word, o = choice(spec, "data.noise")
    if word != "gaussian":
        raise ConfigError(f"data.noise: '{word}' is not supported")
    return float(o)


class Inputs:
    """What the model reads of a split: its clean images (byte / 255 in float32) and, with
    data.noise, clean + sigma n with clnet's own draws (tests/interop/clnet_noise.py): the
    pass-th time training reads an image gets fresh noise, evaluation one fixed draw."""

    def __init__(self, cfg, u8, split, input_shape, device="cpu", clean=None):
        """clean: the split's images already as a tensor (float64 for a float64 twin)."""
        self.u8, self.split, self.device = u8, split, torch.device(device)
        self.clean = (images_f32(u8, input_shape) if clean is None else clean).to(self.device)
        self.sigma = noise_sigma(cfg)
        self.seed = int(cfg["seed"])
        self.shape = list(input_shape)
        if self.sigma is not None:
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            sys.path.insert(0, os.path.join(root, "tests", "interop"))
            import clnet_noise
            self.noise = clnet_noise

    def batch(self, idx, passes=None):
        """(X, clean) of the images idx (numpy or torch int); passes None: evaluation's draw."""
        idx = np.asarray(idx)
        clean = self.clean[torch.from_numpy(idx).to(self.device)]
        if self.sigma is None:
            return clean, clean
        nz = self.noise
        split = {"train": nz.SPLIT_TRAIN, "test": nz.SPLIT_TEST}[self.split]
        x = nz.noisy_batch(self.u8, idx, nz.PASS_EVAL if passes is None else passes, split,
                           self.seed, self.sigma)
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).reshape(
            [len(idx)] + self.shape).to(self.device, clean.dtype), clean


class Sampler:
    """Batches from a seeded permutation per epoch; a batch that crosses the end of an epoch
    takes the rest of it, then continues in the next epoch's permutation (as clnet)."""

    def __init__(self, n, batch, shuffle, seed):
        self.n, self.batch, self.shuffle = n, batch, shuffle
        self.rng = np.random.default_rng(seed)
        self.pos = 0
        self.epoch = -1
        self.passes = None  # the epoch (pass over the data) of each row of the last batch
        self._draw()

    def _draw(self):
        self.perm = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        self.pos = 0
        self.epoch += 1

    def next(self):
        parts, passes, need = [], [], self.batch
        while need:
            if self.pos == self.n:
                self._draw()
            take = min(need, self.n - self.pos)
            parts.append(self.perm[self.pos:self.pos + take])
            passes.append(np.full(take, self.epoch, dtype=np.int64))
            self.pos += take
            need -= take
        self.passes = np.concatenate(passes)
        return torch.from_numpy(parts[0] if len(parts) == 1 else np.concatenate(parts))


class ClnetSampler:
    """clnet's own batch order (tests/interop/clnet_noise.py's port of src/data/sampler.c:
    the same permutations with data.shuffle, 0, 1, 2, ... without), so that both sides take
    the same batches; next() and passes as Sampler's."""

    def __init__(self, n, batch, shuffle, seed):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sys.path.insert(0, os.path.join(root, "tests", "interop"))
        import clnet_noise
        self.nz, self.n, self.batch, self.t = clnet_noise, n, batch, 0
        self.sampler = clnet_noise.Sampler(n, seed) if shuffle else None
        self.passes = None

    def next(self):
        if self.sampler is not None:
            idx, passes = self.sampler.rows(self.t, self.batch)
        else:
            idx, passes = self.nz.train_rows(self.t, self.batch, self.n)
        self.t += 1
        self.passes = np.asarray(passes, dtype=np.int64)
        return torch.from_numpy(np.asarray(idx, dtype=np.int64))


def evaluate(net, obj, inputs, Y, bs):
    """(accuracy or None without a classification term, total loss, {term: loss}): means over
    the split, in batches of bs (the last batch weighted by its size)."""
    net.eval()
    total, correct, terms = 0.0, 0, dict.fromkeys(obj.names, 0.0)
    with torch.no_grad():
        for s in range(0, len(Y), bs):
            idx = np.arange(s, min(s + bs, len(Y)))
            X, clean = inputs.batch(idx)
            net(X)
            y = Y[s:s + bs]
            L, values = obj(X, clean, y)
            total += L.item() * len(y)
            for k, v in values.items():
                terms[k] += v.item() * len(y)
            if obj.classify:
                z = net.last_outs[obj.classify["on"]]
                correct += (z.argmax(1) == y).sum().item()
    net.train()
    return (correct / len(Y) if obj.classify else None, total / len(Y),
            {k: v / len(Y) for k, v in terms.items()})


# ---------------------------------------------------------------------------------------------

def blas_library():
    """The BLAS shared library this process has loaded (torch's mm goes through it)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return None
    for lib in sorted(libs):
        base = os.path.basename(lib)
        if "openblas" in base or "mkl_rt" in base or "blis" in base:
            return os.path.realpath(lib)
    for lib in sorted(libs):
        if os.path.basename(lib).startswith("libblas.so"):
            return os.path.realpath(lib)
    return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--iterations", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: as is)")
    ap.add_argument("--blas-dir", help="folder with the libblas.so.3 to use (see the top)")
    ap.add_argument("--data", help="folder of the IDX files (default: the config's data.dir)")
    ap.add_argument("--curve", action="store_true",
                    help="also evaluate every eval_every iterations (untimed, printed)")
    ap.add_argument("--stop-on-nonfinite", action="store_true",
                    help="stop at the first non-finite loss, as clnet does")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    ap.add_argument("--clnet-sampler", action="store_true",
                    help="take clnet's own batches (its sampler's order, ClnetSampler)")
    a = ap.parse_args(argv)

    try:
        cfg = resolve(load_config(a.config), a.config)
        tr = cfg["train"]
        iters = a.iterations if a.iterations is not None else int(tr["iterations"])
        seed = a.seed if a.seed is not None else int(cfg["seed"])
        cfg["seed"] = seed  # data.noise's draws are the seed's too, as `clnet --set seed=S`
        if a.threads is not None:
            torch.set_num_threads(a.threads)
        torch.manual_seed(seed)
        dev = torch.device(a.device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: torch.cuda.is_available() is False")
        net = Net(cfg).to(dev)
        obj = Objective(cfg, net)
        opt, lr = make_optimizer(tr["optimizer"], net.parameters())
        sched = make_schedule(tr["schedule"], lr)
        u8tr, ytr, u8te, yte = load_mnist_u8(a.data or cfg["data"]["dir"])
        Itr = Inputs(cfg, u8tr, "train", net.input_shape, dev)
        Ite = Inputs(cfg, u8te, "test", net.input_shape, dev)
        Ytr, Yte = (torch.from_numpy(y.astype(np.int64)).to(dev) for y in (ytr, yte))
    except (ConfigError, KeyError, TypeError, ValueError) as e:
        print(f"torch_ref: error: {a.config}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"torch_ref: error: {e}", file=sys.stderr)
        return 1

    sampler = (ClnetSampler if a.clnet_sampler else Sampler)(
        len(Ytr), int(tr["batch_size"]), bool(cfg["data"]["shuffle"]), seed)
    eval_every, ebs = int(tr["eval_every"]), int(tr["eval_batch_size"])
    nonfinite_at = None
    train_loss, train_terms = float("nan"), {}
    train_seconds = 0.0
    done = 0
    net.train()
    for t in range(iters):
        t0 = time.perf_counter()
        if sched is not None:
            for g in opt.param_groups:
                g["lr"] = sched(t)
        idx = sampler.next()
        X, clean = Itr.batch(idx.numpy(), sampler.passes)
        y = Ytr[idx.to(dev)]
        opt.zero_grad()
        net(X)
        L, terms = obj(X, clean, y)
        L.backward()
        opt.step()
        train_loss = L.item()
        train_terms = {k: v.item() for k, v in terms.items()}
        if t > 0:  # the first step's one-time costs left out, as clnet's summary does
            train_seconds += time.perf_counter() - t0
        done = t + 1
        if nonfinite_at is None and not math.isfinite(train_loss):
            nonfinite_at = t
            if a.stop_on_nonfinite:
                break
        if a.curve and (done % eval_every == 0 or done == iters):
            acc, tl, tt = evaluate(net, obj, Ite, Yte, ebs)
            print(f"iter {done:6d}  train_loss {train_loss:.4f}  test_loss {tl:.4f}  "
                  + "".join(f"test_loss_{k} {v:.4f}  " for k, v in tt.items())
                  + (f"test_acc {acc:.4f}" if acc is not None else ""), file=sys.stderr)

    test_acc, test_loss, test_terms = evaluate(net, obj, Ite, Yte, ebs)
    r = {
        "config": a.config,
        "name": cfg["name"],
        "iterations": done,
        "seed": seed,
        "threads": torch.get_num_threads(),
        "device": str(dev) + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda"
                              else ""),
        "train_seconds": round(train_seconds, 4),
        "iterations_per_second": (round((done - 1) / train_seconds, 2) if train_seconds > 0
                                  else None),
        "test_accuracy": test_acc,
        "test_loss": test_loss if math.isfinite(test_loss) else None,  # null: inf or NaN
        "train_loss": train_loss if math.isfinite(train_loss) else None,
        "test_loss_terms": test_terms,  # each term's test loss (the list form's columns)
        "train_loss_terms": train_terms,
        "nonfinite_at": nonfinite_at,
        "torch_version": torch.__version__,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "blas": blas_library(),
    }
    if a.json:
        print(json.dumps(r))
    else:
        nf = "" if nonfinite_at is None else f", non-finite loss from iteration {nonfinite_at}"
        print(f"{r['name']}: {done} iterations, {train_seconds:.2f} s after the first "
              f"({r['iterations_per_second']} it/s, {r['threads']} threads), "
              + (f"test accuracy {test_acc:.4f}, " if test_acc is not None else "")
              + f"test loss {test_loss:.4f}, "
              + "".join(f"test loss {k} {v:.4f}, " for k, v in test_terms.items()
                        if len(test_terms) > 1)
              + f"train loss {train_loss:.4f}{nf}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
