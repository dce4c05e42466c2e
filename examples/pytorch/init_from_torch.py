#!/usr/bin/python3
"""Writes a PyTorch-initialised model for a clnet config to safetensors, and the YAML that
makes clnet start from it.

    /usr/bin/python3 examples/pytorch/init_from_torch.py CONFIG.yaml OUT.safetensors
        [--scheme pytorch|config] [--seed S] [--write-config NEW.yaml] [--evaluate [--data DIR]]

--scheme pytorch (the default): each layer as PyTorch's own modules initialise it,
nn.Linear(in, out) and nn.Conv2d(...) (weights and biases uniform in +-1/sqrt(fan_in)), which
clnet has no scheme for. --scheme config: the config's own init drawn by PyTorch
(0.1 * torch.randn(...) for {normal: {std: 0.1}}), as bench/torch_ref.py draws it. --seed:
torch.manual_seed (default: the config's seed). Dense weights are stored [in, out] (nn.Linear's
weight transposed), conv2d weights [out, in, rows, cols], as clnet names and reads them.

It prints the init: snippet to add to the config; --write-config writes a config next to OUT
that starts from CONFIG (base:) with that init, ready for `clnet train NEW.yaml`. --evaluate
prints PyTorch's test loss and accuracy of these initial weights, which `clnet eval NEW.yaml`
(the initial model of a config) must print too.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clnet_torch  # noqa: E402
import torch  # noqa: E402


def pytorch_default(net):
    """Re-initialises net's dense and conv2d parameters as nn.Linear and nn.Conv2d would."""
    with torch.no_grad():
        for kind, k, *_ in net.steps:
            if kind == "dense":
                n_in, n_out = net.params[k].shape
                m = torch.nn.Linear(n_in, n_out)
                net.params[k].copy_(m.weight.t())
                net.params[k + 1].copy_(m.bias)
            elif kind == "conv2d":
                out, cin, r, c = net.params[k].shape
                m = torch.nn.Conv2d(cin, out, (r, c))
                net.params[k].copy_(m.weight)
                net.params[k + 1].copy_(m.bias)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--scheme", choices=("pytorch", "config"), default="pytorch")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--write-config", metavar="NEW.yaml")
    ap.add_argument("--evaluate", action="store_true",
                    help="print PyTorch's test loss and accuracy of the initial weights")
    ap.add_argument("--data", help="folder of the MNIST IDX files (default: data.dir)")
    a = ap.parse_args(argv)
    try:
        cfg = clnet_torch.load_config(a.config)
        seed = int(cfg["seed"]) if a.seed is None else a.seed
        net = clnet_torch.build(cfg, seed)
        if a.scheme == "pytorch":
            torch.manual_seed(seed)
            pytorch_default(net)
    except (clnet_torch.ConfigError, KeyError, ValueError, OSError) as e:
        print(f"init_from_torch: error: {e}", file=sys.stderr)
        return 2
    tensors = clnet_torch.tensors_of(net)
    try:
        for p in (a.out, a.write_config):
            if p and os.path.dirname(p):
                os.makedirs(os.path.dirname(p), exist_ok=True)
        clnet_torch.save(a.out, tensors, {"format": "pt", "producer": f"PyTorch "
                                          f"{torch.__version__} ({a.scheme} init, seed {seed})"})
    except OSError as e:
        print(f"init_from_torch: error: {a.out}: {e.strerror}", file=sys.stderr)
        return 1
    n = sum(p.numel() for _, p in clnet_torch.param_names(net))  # batch norm's state aside
    print(f"{a.out}: {len(tensors)} tensors, {n} parameters ({a.scheme} init, seed {seed})")

    # clnet resolves a relative file: against the folder of the config that names it.
    where = os.path.dirname(os.path.abspath(a.write_config)) if a.write_config else os.getcwd()

    def near(p):  # relative when below `where`, else absolute
        rel = os.path.relpath(os.path.abspath(p), where)
        return os.path.abspath(p) if rel.startswith("..") else rel

    path = near(a.out)
    snippet = f"init:\n  weights: {{file: {path}}}\n  biases: {{file: {path}}}\n"
    if a.write_config:
        base = near(a.config)
        with open(a.write_config, "w") as f:
            f.write(f"# {a.config} from a PyTorch-initialised model ({a.scheme} init, seed "
                    f"{seed}), written by examples/pytorch/init_from_torch.py\n"
                    f"base: {base}\n{snippet}")
        print(f"{a.write_config}: base: {base} with the init below; clnet train "
              f"{a.write_config}")
    else:
        print("add to the config (a relative path is read from the config's folder):")
    print(snippet, end="")
    if a.evaluate:  # as clnet evaluates: train.loss's terms, data.noise's evaluation draw
        tr = clnet_torch.torch_ref
        torch.set_num_threads(1)
        _, _, u8, y = tr.load_mnist_u8(a.data or cfg["data"]["dir"])
        inputs = tr.Inputs(cfg, u8, "test", net.input_shape)
        acc, loss, _ = tr.evaluate(net, tr.Objective(cfg, net), inputs,
                                   torch.from_numpy(y.astype("int64")),
                                   int(cfg["train"]["eval_batch_size"]))
        print(f"PyTorch, initial weights: test loss {loss:.6f}"
              + (f", test accuracy {acc:.4f}" if acc is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
