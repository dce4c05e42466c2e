"""The bridge between a clnet experiment and PyTorch, shared by the scripts in this folder and
the parity test (tests/interop). The network itself comes from bench/torch_ref.py, the
PyTorch twin of any clnet config that the benchmarks use (explicit nn.Parameters, X.mm(W) + b,
F.conv2d, .view(-1, n), as the homework writes it), so there is one translation of a config
into PyTorch, not two.

Tensor names and layouts are clnet's (DESIGN.md): layers.I.weight and layers.I.bias (and a batch
norm's layers.I.running_mean and layers.I.running_var, buffers of the network), I the
layer's index in the YAML; dense weights [in, out] (as X.mm(W)), conv2d weights
[out_channels, in_channels, rows, cols] (as F.conv2d). torch_ref keeps the same layouts, so
tensors move between the two without transposing.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, HERE)

# One thread: the fastest on small machines (2 threads make these networks several times
# slower, bench/README-torch.md). OpenBLAS reads its count when torch loads it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch_ref  # noqa: E402  (bench/torch_ref.py)
from safetensors_io import load, save  # noqa: E402,F401

ConfigError = torch_ref.ConfigError


def load_config(path):
    """A clnet experiment file (base: chain merged, clnet's defaults filled in)."""
    return torch_ref.resolve(torch_ref.load_config(path), path)


def _without_file_init(cfg):
    """cfg with every {file: ...} init replaced by zeros: the network is built first and its
    tensors loaded afterwards (torch_ref draws inits, it does not read files)."""
    def plain(spec):
        word, _ = torch_ref.choice(spec, "init")
        return "zeros" if word == "file" else spec

    out = dict(cfg)
    out["init"] = {k: plain(v) for k, v in cfg["init"].items()}
    layers = []
    for layer in cfg["model"]["layers"]:
        if isinstance(layer, dict) and len(layer) == 1:
            kind, opts = next(iter(layer.items()))
            if isinstance(opts, dict) and isinstance(opts.get("init"), dict):
                opts = dict(opts, init={k: plain(v) for k, v in opts["init"].items()})
            layer = {kind: opts}
        layers.append(layer)
    out["model"] = dict(cfg["model"], layers=layers)
    return out


def build(cfg, seed=None):
    """torch_ref's network for cfg, its parameters drawn with torch.manual_seed(seed) (the
    config's seed when None) from the config's init schemes; file inits start at zero."""
    torch.manual_seed(int(cfg["seed"]) if seed is None else seed)
    return torch_ref.Net(_without_file_init(cfg))


def param_names(net):
    """[(name, parameter)] in clnet's names, in layer order."""
    out = []
    for i, (kind, k, *_) in enumerate(net.steps):  # one step per YAML layer, in order
        if kind in ("dense", "conv2d", "batchnorm"):
            out.append((f"layers.{i}.weight", net.params[k]))
            out.append((f"layers.{i}.bias", net.params[k + 1]))
    return out


def state_names(net):
    """[(name, buffer)]: the state clnet keeps beside the parameters (batch norm's running
    statistics, layers.I.running_mean and layers.I.running_var), in layer order."""
    out = []
    for i, (kind, *_) in enumerate(net.steps):
        if kind == "batchnorm":
            for what in ("running_mean", "running_var"):
                out.append((f"layers.{i}.{what}", getattr(net, f"{what}_{i}")))
    return out


def tensors_of(net):
    """name -> float32 numpy array of every parameter and state tensor, in clnet's names and
    layouts."""
    return {name: p.detach().cpu().numpy().astype(np.float32)
            for name, p in param_names(net) + state_names(net)}


def load_into(net, tensors, what="weights"):
    """Copies tensors (name -> array, e.g. from load()) into net; a missing tensor or another
    shape is an error naming it."""
    with torch.no_grad():
        for name, p in param_names(net) + state_names(net):
            if name not in tensors:
                raise ConfigError(f"{what}: no tensor {name}")
            a = tensors[name]
            if list(a.shape) != list(p.shape):
                raise ConfigError(f"{what}: {name} has shape {list(a.shape)}, the network "
                                  f"needs {list(p.shape)}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))


def test_set(cfg, net, data_dir=None):
    """The MNIST test images (normalised as clnet does: byte / 255 in float32) and labels."""
    _, _, x, y = torch_ref.load_mnist(data_dir or cfg["data"]["dir"], net.input_shape)
    return x, y


def logits(net, x, batch=1000):
    net.eval()
    with torch.no_grad():
        return torch.cat([net(x[s:s + batch]) for s in range(0, len(x), batch)])
