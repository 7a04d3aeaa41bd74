"""Test oracle: what the real loaders read from each file given (payloads in tests are echo/print only).

For each path prints one line: path, then what Python's zipfile lists (names in order, or the error),
then what torch.load did (its result's keys, or the error). torch is optional."""
import json
import sys
import zipfile

try:
    import torch
except ImportError:
    torch = None

for path in sys.argv[1:]:
    out = {"path": path}
    try:
        with zipfile.ZipFile(path) as z:
            out["zipfile"] = [i.filename for i in z.infolist()]
            out["zipfile_read"] = {n: len(z.read(n)) for n in z.namelist()}
    except Exception as e:  # noqa: BLE001 - the oracle reports every refusal
        out["zipfile_error"] = type(e).__name__ + ": " + str(e)
    if torch is not None:
        sys.stdout.flush()
        try:
            r = torch.load(path)
            out["torch"] = sorted(str(k) for k in r) if isinstance(r, dict) else type(r).__name__
        except Exception as e:  # noqa: BLE001
            out["torch_error"] = type(e).__name__ + ": " + str(e)
    sys.stdout.flush()
    print("RESULT " + json.dumps(out), flush=True)
