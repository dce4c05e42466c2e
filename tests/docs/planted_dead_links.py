#!/usr/bin/env python3
"""scripts/check-links must fail on each kind of dead link and pass the live ones: a missing
file, a missing #anchor, a link out of the repository to a file that exists there (../shared),
an absolute path, a file git does not track; links in code, and external ones, are not links.

    planted_dead_links.py CHECK_LINKS
"""
import os
import shutil
import subprocess
import sys
import tempfile

README = """# Title

## Read more here

[live file](docs/guide.md), [live anchor](docs/guide.md#a-section-title),
[own anchor](#read-more-here), <img src="docs/plot.png" alt="x">, [web](https://example.org/x)
[dead file](docs/missing.md)
[dead anchor](docs/guide.md#no-such-section)
[outside](../shared/DESIGN.md)
[absolute](/etc/hostname)
[untracked](docs/untracked.md)
<img src="docs/gone.png" alt="gone">

    [indented code](docs/missing-in-code.md)

```
[fenced code](docs/missing-in-fence.md)
```

`[span](docs/missing-in-span.md)`
"""
GUIDE = "# Guide\n\n## A section: title\n\nBack to [the top](../README.md#title).\n"
DEAD = ["docs/missing.md", "docs/guide.md#no-such-section", "../shared/DESIGN.md", "/etc/hostname",
        "docs/untracked.md", "docs/gone.png"]
LIVE_OR_CODE = ["docs/guide.md:", "docs/guide.md#a-section-title", "#read-more-here",
                "docs/plot.png", "example.org", "missing-in-code", "missing-in-fence",
                "missing-in-span", "../README.md#title"]


def run(check, root):
    out = subprocess.run([sys.executable, check, "--root", root], capture_output=True,
                         text=True)
    return out.returncode, out.stdout + out.stderr


def main():
    check = sys.argv[1]
    if shutil.which("git") is None:
        print("git is missing")
        return 77
    top = tempfile.mkdtemp(prefix="clnet-links-")
    try:
        root = os.path.join(top, "repo")
        os.makedirs(os.path.join(root, "docs"))
        os.makedirs(os.path.join(top, "shared"))
        open(os.path.join(top, "shared", "DESIGN.md"), "w").write("# outside\n")
        open(os.path.join(root, "docs", "guide.md"), "w").write(GUIDE)
        open(os.path.join(root, "docs", "plot.png"), "wb").write(b"\x89PNG")
        open(os.path.join(root, "README.md"), "w").write("# Title\n\n[guide](docs/guide.md)\n")
        subprocess.run(["git", "init", "-q", root], check=True)
        subprocess.run(["git", "-C", root, "add", "."], check=True)
        rc, out = run(check, root)
        if rc != 0:
            print(f"a clean tree: exit {rc}, expected 0:\n{out}")
            return 1
        open(os.path.join(root, "README.md"), "w").write(README)
        open(os.path.join(root, "docs", "untracked.md"), "w").write("# x\n")
        rc, out = run(check, root)
        failed = rc != 1
        for target in DEAD:
            if f": {target}: " not in out:
                print(f"not reported: {target}")
                failed = True
        for target in LIVE_OR_CODE:
            if target in out:
                print(f"reported but live (or code): {target}")
                failed = True
        print(out, end="")
        return 1 if failed else 0
    finally:
        shutil.rmtree(top)


if __name__ == "__main__":
    sys.exit(main())
