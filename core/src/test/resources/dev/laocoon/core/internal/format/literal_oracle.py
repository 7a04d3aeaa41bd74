"""Reads JSON strings, one per line, and prints what ast.literal_eval makes of each, in a
canonical form (see PyLiteralTest.canonical), or ERR when it raises. Standard library only."""
import ast
import json
import struct
import sys
import warnings

warnings.simplefilter("ignore")


def canon(v):
    if v is None:
        return "N"
    if v is True or v is False:
        return "B:" + str(v)
    if isinstance(v, int):
        return "i:" + str(v)
    if isinstance(v, float):
        return "f:" + struct.pack(">d", v).hex()
    if isinstance(v, str):
        return "s:" + json.dumps(v, ensure_ascii=True)
    if isinstance(v, bytes):
        return "b:" + v.hex()
    if isinstance(v, tuple):
        return "t[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, list):
        return "l[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        return "d{" + ",".join(canon(k) + "=" + canon(x) for k, x in v.items()) + "}"
    if isinstance(v, (set, frozenset)):
        return "S{" + ",".join(sorted(canon(x) for x in v)) + "}"
    return "?" + type(v).__name__


for line in sys.stdin:
    text = json.loads(line)
    try:
        out = canon(ast.literal_eval(text))
    except Exception:
        out = "ERR"
    print(json.dumps(out), flush=True)
