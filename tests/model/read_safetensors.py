#!/usr/bin/env python3
"""A safetensors reader in plain Python (struct and json only), to check that clnet's files
are readable without clnet.

    read_safetensors.py FILE            prints "name dtype [shape] sum" for every tensor,
                                        in data order, then "meta KEY VALUE" lines
                                        (VALUE as a JSON string)
    read_safetensors.py --check HELPER  runs `HELPER --write-sample PATH`, which writes a
                                        file and prints the lines this script should print;
                                        compares them, and compares with the `safetensors`
                                        package too when it is installed (skipped otherwise)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

SIZES = {"F32": 4, "I32": 4, "U8": 1}
FORMATS = {"F32": "<f", "I32": "<i", "U8": "<B"}


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = []
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        dtype, shape = info["dtype"], info["shape"]
        count = 1
        for d in shape:
            count *= d
        assert end - begin == count * SIZES[dtype], name
        fmt = FORMATS[dtype]
        size = SIZES[dtype]
        total = 0.0
        for i in range(count):  # in order, in double: the same sum as the C helper's
            total += struct.unpack_from(fmt, data, begin + i * size)[0]
        tensors.append((name, dtype, list(shape), total))
    return tensors, meta


def lines(tensors, meta):
    out = [f"{n} {d} {s} {t!r}" for n, d, s, t in tensors]
    out += [f"meta {k} {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(meta.items())]
    return out


def check(helper):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sample.safetensors")
        want = subprocess.run([helper, "--write-sample", path], check=True,
                              capture_output=True, text=True).stdout.splitlines()
        tensors, meta = read(path)
        got = lines(tensors, meta)
        if len(got) != len(want):
            print("line counts differ:\n" + "\n".join(got) + "\n---\n" + "\n".join(want))
            return 1
        for g, w in zip(got, want):
            gs, ws = g.rsplit(" ", 1), w.rsplit(" ", 1)
            if g.startswith("meta "):
                ok = g == w
            else:
                ok = gs[0] == ws[0] and abs(float(gs[1]) - float(ws[1])) <= 1e-9 * max(
                    1.0, abs(float(ws[1])))
            if not ok:
                print(f"python read: {g}\nclnet wrote: {w}")
                return 1
        print("\n".join(got))
        try:
            from safetensors import safe_open  # noqa: F401
        except ImportError:
            print("safetensors package not installed: skipped that comparison")
            return 0
        from safetensors.numpy import load_file
        loaded = load_file(path)
        for name, dtype, shape, total in tensors:
            arr = loaded[name]
            assert list(arr.shape) == shape, name
            assert abs(float(arr.astype("float64").sum()) - total) <= 1e-6 * max(1, abs(total))
        print("safetensors package agrees")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(sys.argv[2])
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print("\n".join(lines(*read(sys.argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
