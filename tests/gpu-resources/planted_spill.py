#!/usr/bin/env python3
"""The gpu-resources check must fail on a kernel over its budget (issue 23), two ways, each in a
copy of cl/ where act_backward (elementwise.cl, held to the budget) is changed:
  spill (default): it reads a 256-float private array at an index known only at run time,
    which no target can keep in registers, so it lives in scratch (AMD) or local memory
    (NVPTX): scripts/gpu-resources must exit 1 and name act_backward on every target;
  --occupancy: it keeps 96 loaded values live at once (about 108 VGPRs, in registers, no
    scratch): the script must exit 1 and name act_backward's occupancy on both AMD targets
    (gfx906 2 < 8, gfx1030 9 < 16), its scratch staying 0.
Either way act_forward of the same file stays 'ok'. Exit 77 (skip) when the script skips (no
clang-14 or libclc)."""
import os
import shutil
import subprocess
import sys
import tempfile

root = os.environ.get("CLNET_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
script = os.path.join(root, "scripts", "gpu-resources")

ORIGINAL = "        dx[i] = act_gradient(dy[i], y[i], act);\n"
SPILL = """    {
        float t[256];
        for (int k = 0; k < 256; k++)
            t[k] = dy[(i + (size_t)k) % n];
        dx[i] = act_gradient(t[(int)(y[i] * 255.0f) & 255], y[i], act);
    }
"""
OCCUPANCY = """    {
        float t[96];
#pragma unroll
        for (int k = 0; k < 96; k++)
            t[k] = dy[(i + (size_t)k * 7) % n];
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < 96; k++)
            s = s * t[95 - k] + t[k];
        dx[i] = act_gradient(s, y[i], act);
    }
"""
occupancy = sys.argv[1:] == ["--occupancy"]
name = "planted_spill" + (" --occupancy" if occupancy else "")

with tempfile.TemporaryDirectory(prefix="clnet-gpu-resources-") as tmp:
    cl = os.path.join(tmp, "cl")
    shutil.copytree(os.path.join(root, "cl"), cl)
    path = os.path.join(cl, "elementwise.cl")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # If act_backward's body changed, this test must be updated, not pass vacuously.
    if text.count(ORIGINAL) != 1:
        sys.exit("%s: act_backward's line %r not found once in cl/elementwise.cl"
                 % (name, ORIGINAL.strip()))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(ORIGINAL, OCCUPANCY if occupancy else SPILL))
    r = subprocess.run([sys.executable, script, "--cl-dir", cl, "--only", "elementwise.cl"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    if r.returncode == 77:
        sys.exit(77)
    if occupancy:
        expected = ["gfx906: act_backward over budget (occupancy",
                    "gfx1030: act_backward over budget (occupancy"]
    else:
        expected = ["gfx906: act_backward over budget (scratch",
                    "gfx1030: act_backward over budget (scratch",
                    "nvptx64 sm_70: act_backward over budget (local"]
    missing = [e for e in expected if e not in r.stdout]
    spilled = [l for l in r.stdout.splitlines() if occupancy and "scratch" in l and
               l.startswith("| elementwise.cl | act_backward |")]
    fine = "| elementwise.cl | act_forward |"
    act_forward_ok = [l for l in r.stdout.splitlines() if l.startswith(fine)]
    if r.returncode != 1 or missing or spilled or len(act_forward_ok) != 3 or \
            not all(l.endswith("| ok |") for l in act_forward_ok):
        sys.exit("%s: expected exit 1 naming act_backward (got %d; missing %s; spilled %s) and "
                 "act_forward ok" % (name, r.returncode, missing, spilled))
    print("%s: the planted fault fails the check, as it must" % name)
