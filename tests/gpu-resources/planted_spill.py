#!/usr/bin/env python3
"""The gpu-resources check must fail on a kernel that spills (issue 23): a copy of cl/ in which
act_backward (elementwise.cl, held to the budget) reads a 256-float private array at an index
known only at run time, which no target can keep in registers, so it lives in scratch (AMD)
or local memory (NVPTX). scripts/gpu-resources on that copy must exit 1 and name act_backward
as over budget on every target, while act_forward of the same file stays 'ok'. Exit 77 (skip)
when the script skips (no clang-14 or libclc)."""
import os
import shutil
import subprocess
import sys
import tempfile

root = os.environ.get("CLNET_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
script = os.path.join(root, "scripts", "gpu-resources")

ORIGINAL = "        dx[i] = act_gradient(dy[i], y[i], act);\n"
PLANTED = """    {
        float t[256];
        for (int k = 0; k < 256; k++)
            t[k] = dy[(i + (size_t)k) % n];
        dx[i] = act_gradient(t[(int)(y[i] * 255.0f) & 255], y[i], act);
    }
"""

with tempfile.TemporaryDirectory(prefix="clnet-gpu-resources-") as tmp:
    cl = os.path.join(tmp, "cl")
    shutil.copytree(os.path.join(root, "cl"), cl)
    path = os.path.join(cl, "elementwise.cl")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # If act_backward's body changed, this test must be updated, not pass vacuously.
    if text.count(ORIGINAL) != 1:
        sys.exit("planted_spill: act_backward's line %r not found once in cl/elementwise.cl"
                 % ORIGINAL.strip())
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(ORIGINAL, PLANTED))
    r = subprocess.run([sys.executable, script, "--cl-dir", cl, "--only", "elementwise.cl"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    if r.returncode == 77:
        sys.exit(77)
    expected = ["gfx906: act_backward over budget (scratch",
                "gfx1030: act_backward over budget (scratch",
                "nvptx64 sm_70: act_backward over budget (local"]
    missing = [e for e in expected if e not in r.stdout]
    fine = "| elementwise.cl | act_forward |"
    act_forward_ok = [l for l in r.stdout.splitlines() if l.startswith(fine)]
    if r.returncode != 1 or missing or len(act_forward_ok) != 3 or \
            not all(l.endswith("| ok |") for l in act_forward_ok):
        sys.exit("planted_spill: expected exit 1 naming act_backward on every target "
                 "(got %d; missing %s) and act_forward ok" % (r.returncode, missing))
    print("planted_spill: the planted spill fails the check, as it must")
