#!/usr/bin/python3
"""Rebuilds a clnet run's network in PyTorch from its config.yaml, loads its
model.safetensors and evaluates it on the MNIST test set; the accuracy must equal the run's
summary.json final_test_accuracy.

    /usr/bin/python3 examples/pytorch/load_run.py runs/NAME [--data DIR] [--predictions FILE]

--data: the folder of the IDX files (default: the config's data.dir, relative to the working
folder, as clnet reads it). --predictions: also write the predicted label of every test image,
one a line. Exit status 0 when the accuracy equals clnet's, 1 when it differs, 2 on bad input.
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clnet_torch  # noqa: E402
import torch  # noqa: E402
import torch_ref  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--data", help="folder of the MNIST IDX files")
    ap.add_argument("--predictions", help="write the predicted label of each test image here")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)  # the fastest here, and the same sums on every machine

    config = os.path.join(a.run_dir, "config.yaml")
    weights = os.path.join(a.run_dir, "model.safetensors")
    try:
        cfg = clnet_torch.load_config(config)
        net = clnet_torch.build(cfg)
        tensors, meta = clnet_torch.load(weights)
        clnet_torch.load_into(net, tensors, weights)
        x, y = clnet_torch.test_set(cfg, net, a.data)
    except (clnet_torch.ConfigError, KeyError, ValueError) as e:
        print(f"load_run: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"load_run: error: {e}", file=sys.stderr)
        return 2

    if not isinstance(cfg["train"]["loss"], str):
        print("load_run: error: train.loss is a list of terms: this script compares a "
              "classifier's test accuracy (tests/interop/parity.py compares a reconstruction "
              "model's outputs)", file=sys.stderr)
        return 2
    z = clnet_torch.logits(net, x, int(cfg["train"]["eval_batch_size"]))
    pred = z.argmax(1)
    correct = int((pred == y).sum())
    acc = correct / len(y)
    loss = torch_ref.loss_fn(cfg["train"]["loss"])(z, y).item()
    print(f"{cfg['name']}: PyTorch {torch.__version__}, weights {weights} "
          f"({len(tensors)} tensors, from {meta.get('producer', 'unknown')})")
    print(f"pytorch: test accuracy {acc:.4f} ({correct} of {len(y)}), test loss {loss:.6f}")
    if a.predictions:
        with open(a.predictions, "w") as f:
            f.write("".join(f"{int(p)}\n" for p in pred))

    summary_path = os.path.join(a.run_dir, "summary.json")
    try:
        with open(summary_path) as f:
            summary = json.load(f)
    except OSError:
        print(f"clnet:   no {summary_path} to compare with")
        return 0
    want = summary.get("final_test_accuracy")
    if want is None or not math.isfinite(want):
        print(f"clnet:   summary.json has no final_test_accuracy ({summary.get('status')})")
        return 1
    same = round(want * len(y)) == correct
    clnet_loss = summary.get("final_test_loss")
    print(f"clnet:   test accuracy {want:.4f} ({round(want * len(y))} of {len(y)}), test loss "
          f"{float('nan') if clnet_loss is None else clnet_loss:.6f} (summary.json): "
          f"{'the same' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
