#!/usr/bin/env python3
"""The per-step profiles of the homework networks (issue 26) in one go: build/bench/net_profile
on each config in turn, each preceded by the machine's load (`uptime`), as markdown.

    python3 bench/net_profiles.py [--iterations 300] [--net-profile build/bench/net_profile]
                                  [CONFIG ...]

Without configs: q4_i_single, q4_v_two_sigmoid, q4_ix_five_relu, q4_xiii_adam and q5_ii_cnn of
configs/hw2. bench/README.md says what each table and line means."""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["q4_i_single", "q4_v_two_sigmoid", "q4_ix_five_relu", "q4_xiii_adam", "q5_ii_cnn"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("configs", nargs="*")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--net-profile", default=os.path.join(ROOT, "build/bench/net_profile"))
    a = ap.parse_args()
    configs = a.configs or [os.path.join("configs/hw2", c + ".yaml") for c in DEFAULT]
    if not os.access(a.net_profile, os.X_OK):
        sys.exit(f"{a.net_profile}: not an executable (build first: ninja -C build)")
    for config in configs:
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(f"### {config}\n\n{load}\n", flush=True)
        p = subprocess.run([a.net_profile, "--iterations", str(a.iterations), config], cwd=ROOT,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{a.net_profile} {config}: {p.stderr.strip()}")
        print(p.stdout, flush=True)


if __name__ == "__main__":
    main()
