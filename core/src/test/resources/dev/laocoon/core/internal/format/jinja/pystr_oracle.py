"""Oracle of PyStrTest: reads JSON cases, one per line, from the file named by the first argument
and writes to the second, one JSON string per line, what CPython's own str operations make of each
case, or "ERR:<exception type>" when they raise. Standard library only."""
import json
import sys


def value(v):
    """Lists are JSON arrays; tuples and dicts are tagged objects {"tuple": [...]}, {"dict": {...}}."""
    if isinstance(v, list):
        return [value(x) for x in v]
    if isinstance(v, dict):
        if "tuple" in v:
            return tuple(value(x) for x in v["tuple"])
        return {k: value(x) for k, x in v["dict"].items()}
    return v


def run(case):
    op = case["op"]
    if op == "str":
        return str(value(case["value"]))
    if op == "percent":
        return case["fmt"] % value(case["args"])
    if op == "format":
        return format(value(case["value"]), case["spec"])
    if op == "slice":
        return case["s"][case["start"]:case["stop"]:case["step"]]
    if op == "strip":
        return getattr(case["s"], case["how"])(case["chars"])
    if op == "split":
        return "|".join(case["s"].split())
    if op == "index":
        return case["s"][case["i"]]
    raise ValueError("unknown op " + op)


with open(sys.argv[1], encoding="utf-8") as cases, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in cases:
        try:
            result = run(json.loads(line))
        except Exception as e:  # noqa: BLE001 - any failure is an answer
            result = "ERR:" + type(e).__name__
        out.write(json.dumps(result) + "\n")
