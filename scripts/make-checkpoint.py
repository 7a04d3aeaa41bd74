#!/usr/bin/env python3
"""Writes a PyTorch-layout zip checkpoint with the standard library only (no torch needed).

  make-checkpoint.py OUT.pt TOTAL_MB [TENSORS]

The state dict maps 'layer.N.weight' to float32 tensors of equal size, stored as torch.save
stores them: archive/data.pkl (protocol 2, OrderedDict of torch._utils._rebuild_tensor_v2 over
persistent ids ('storage', torch.FloatStorage, key, 'cpu', numel)) and archive/data/KEY records,
uncompressed. Tensor bytes are pseudo-random. Used by scripts/bench-convert.sh.
"""
import os
import struct
import sys
import zipfile


def short_str(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def binint(n):
    return b"J" + struct.pack("<i", n)


def global_(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def data_pkl(tensors, numel):
    p = [b"\x80\x02", global_("collections", "OrderedDict"), b")R", b"("]
    for i in range(tensors):
        p += [short_str(f"layer.{i}.weight"), global_("torch._utils", "_rebuild_tensor_v2"), b"(",
              b"(", short_str("storage"), global_("torch", "FloatStorage"), short_str(str(i)), short_str("cpu"),
              binint(numel), b"tQ",
              binint(0), binint(numel // 1024), binint(1024), b"\x86", binint(1024), binint(1), b"\x86", b"\x89",
              global_("collections", "OrderedDict"), b")R", b"tR"]
    p += [b"u."]
    return b"".join(p)


def main():
    out, total_mb = sys.argv[1], int(sys.argv[2])
    tensors = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    numel = (total_mb * 1024 * 1024 // 4 // tensors) // 1024 * 1024
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("archive/data.pkl", data_pkl(tensors, numel))
        z.writestr("archive/byteorder", "little")
        chunk = os.urandom(1 << 20)
        for i in range(tensors):
            with z.open(f"archive/data/{i}", "w", force_zip64=True) as f:
                left = numel * 4
                while left > 0:
                    n = min(left, len(chunk))
                    f.write(chunk[:n])
                    left -= n
        z.writestr("archive/version", "3\n")


if __name__ == "__main__":
    main()
