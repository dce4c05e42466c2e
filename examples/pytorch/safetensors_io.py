"""Reads and writes safetensors files in plain Python (struct, json and numpy), so clnet's
model.safetensors can be used where the `safetensors` package is not installed (Debian 12 does
not package it). The format: an 8-byte little-endian header length, a JSON header mapping each
tensor name to its dtype, shape and [begin, end) byte offsets into the data that follows (plus
an optional "__metadata__" map of strings), then the raw little-endian data.

    from safetensors_io import load, save
    tensors, metadata = load("runs/q4_ix_five_relu/model.safetensors")   # name -> np.ndarray
    save("init.safetensors", {"layers.0.weight": w, ...}, {"producer": "me"})

When the `safetensors` package is installed, safetensors.numpy.load_file and save_file read
and write the same files.
"""

import json
import struct

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "BOOL": "?"}


class FormatError(Exception):
    pass


def load(path):
    """(tensors, metadata): tensors maps each name to a numpy array (a copy, in file order)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise FormatError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise FormatError(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: header is not JSON: {e}")
    data = memoryview(raw)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        dtype, shape = info["dtype"], [int(d) for d in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        if dtype not in DTYPES:
            raise FormatError(f"{path}: tensor {name}: dtype {dtype} is not supported here")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= begin <= end <= len(data) or end - begin != count * np.dtype(
                DTYPES[dtype]).itemsize:
            raise FormatError(f"{path}: tensor {name}: data_offsets {begin, end} do not fit "
                              f"dtype {dtype} shape {shape} in {len(data)} data bytes")
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[dtype]).reshape(
            shape).copy()
    return tensors, metadata


def save(path, tensors, metadata=None):
    """Writes tensors (name -> numpy array of a dtype in DTYPES) in the order given, with
    metadata (a map of strings); the header is padded with spaces to 8 bytes, as the
    reference implementation does."""
    kinds = {np.dtype(v): k for k, v in DTYPES.items()}
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        a = np.ascontiguousarray(array)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        if a.dtype not in kinds:
            raise FormatError(f"{name}: dtype {a.dtype} cannot be written")
        blob = a.tobytes()
        header[name] = {"dtype": kinds[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
