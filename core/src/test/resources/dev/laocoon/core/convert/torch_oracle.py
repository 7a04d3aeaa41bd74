"""Test oracle for `laocoon convert` (needs PyTorch; used only by tests, never at run time).

  torch_oracle.py make DIR            writes checkpoints with many dtypes, views and shared storages
  torch_oracle.py reference CKPT OUT.safetensors
                                      when the safetensors package is installed: writes the same
                                      tensors with safetensors.torch.save_file (metadata taken
                                      from OUT) and checks the two files are byte-identical
  torch_oracle.py compare CKPT OUT.safetensors [KEY]
                                      loads CKPT with torch.load(weights_only=True) and checks that
                                      every tensor of the state dict is in OUT (by name, or as an
                                      alias in __metadata__) with the same dtype, shape and bytes
"""
import io
import json
import pickletools
import struct
import sys
import types

import torch
from torch import _weights_only_unpickler as weights_only

NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
         torch.bool: "BOOL"}


def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def make(d):
    g = torch.Generator().manual_seed(7)
    base = torch.randn(6, 5, generator=g)
    sd = {
        "f64": torch.randn(3, 2, dtype=torch.float64, generator=g),
        "f32": torch.randn(4, generator=g),
        "f16": torch.randn(2, 3, generator=g).half(),
        "bf16": torch.randn(2, 3, generator=g).bfloat16(),
        "i64": torch.arange(-5, 5, dtype=torch.int64),
        "i32": torch.arange(7, dtype=torch.int32) * -3,
        "i16": torch.arange(9, dtype=torch.int16) * 1000,
        "i8": torch.arange(-4, 4, dtype=torch.int8),
        "u8": torch.arange(250, 256, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "transposed": base.t(),
        "row_slice": base[2:4],
        "col_slice": base[:, 1:3],
        "stepped": base[::2, ::2],
        "expanded_view": torch.randn(3, generator=g).unsqueeze(0),
    }
    tied = torch.randn(4, 3, generator=g)
    sd["embed.weight"] = tied
    sd["lm_head.weight"] = tied
    torch.save(sd, d + "/zip.pt")
    torch.save(sd, d + "/zip_p4.pt", pickle_protocol=4)
    torch.save(sd, d + "/legacy.bin", _use_new_zipfile_serialization=False)
    ck = {"model": {"w": torch.randn(2, 2, generator=g)}, "ema": {"w": torch.randn(2, 2, generator=g)}, "epoch": 3}
    torch.save(ck, d + "/checkpoint.pt")


def _deframe(data):
    """The same pickle without FRAME opcodes, which old weights-only loaders do not know."""
    out = bytearray()
    last = 0
    for op, _arg, pos in pickletools.genops(data):
        if op.name == "FRAME":
            out += data[last:pos]
            last = pos + 9
    return bytes(out + data[last:])


class _UnframedWeightsOnly(weights_only.Unpickler):
    def __init__(self, file, **kw):
        super().__init__(io.BytesIO(_deframe(file.read())), **kw)


UNFRAMED = types.SimpleNamespace(Unpickler=_UnframedWeightsOnly, __name__="unframed_weights_only")


def load_weights_only(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        if "Unsupported operand 149" not in str(e):
            raise
    # still the weights-only unpickler (allow-listed globals only), reading a frame-free copy
    return torch.load(path, map_location="cpu", pickle_module=UNFRAMED)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return header, data


def compare(ckpt, out, key=None):
    sd = load_weights_only(ckpt)
    for part in (key.split("/") if key and key != "/" else []):
        sd = sd[part]
    header, data = read_safetensors(out)
    meta = header.pop("__metadata__", {})
    problems = []
    count = 0
    for name, t in sd.items():
        if not isinstance(t, torch.Tensor):
            continue
        stored = name if name in header else meta.get(name)
        if stored is None or stored not in header:
            problems.append(f"{name}: missing from the output")
            continue
        h = header[stored]
        if stored != name and h["shape"] != list(t.shape):
            count += 1  # a view of the kept tensor's storage, listed as an alias (Hugging Face semantics)
            continue
        if h["dtype"] != NAMES.get(t.dtype) or h["shape"] != list(t.shape):
            problems.append(f"{name}: {h['dtype']} {h['shape']} but torch has {t.dtype} {list(t.shape)}")
            continue
        b, e = h["data_offsets"]
        if data[b:e] != raw(t):
            problems.append(f"{name}: bytes differ")
            continue
        count += 1
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"OK {count}")


def reference(ckpt, out):
    try:
        from safetensors.torch import save_file
    except ImportError:
        print("SKIP no safetensors package")
        return
    header, _ = read_safetensors(out)
    meta = header.get("__metadata__", {})
    aliases = {k for k in meta if k != "format"}
    if len(aliases) > 1:
        print("SKIP metadata order of several aliases is not deterministic in the reference writer")
        return
    sd = load_weights_only(ckpt)
    sd = {k: v.contiguous().clone() for k, v in sd.items() if isinstance(v, torch.Tensor) and k not in aliases}
    ref = out + ".reference"
    save_file(sd, ref, metadata=meta)
    with open(ref, "rb") as a, open(out, "rb") as b:
        if a.read() != b.read():
            print("reference writer output differs")
            sys.exit(1)
    print("IDENTICAL")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "reference":
        reference(sys.argv[2], sys.argv[3])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
