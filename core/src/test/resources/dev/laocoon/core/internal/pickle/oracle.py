#!/usr/bin/env python3
"""Differential oracle for Laocoon's pickle machine.

For every file given (as arguments, or one path per line in the file named by
``--list``), load pickles from it the way ``pickle.load(open(path, 'rb'))`` does, with
CPython's C unpickler: a new Unpickler per load on the same file object, until the file
position reaches the end of the file or a load raises.  Nothing from the pickle is ever
imported or executed: find_class records (module, name) and returns an inert stub class.

The address space is capped (2 GiB) so that absurd memo indexes or operand lengths in
mutated streams raise MemoryError at once instead of making CPython touch gigabytes.

Prints one JSON object per file, in input order:
  {"imports": [[module, name], ...], "loads": n, "clean": bool,
   "error": null | {"type": "...", "message": "..."}, "bufsize": n}
"""
import io
import json
import os
import sys
import warnings

import _pickle
import pickle

if pickle.Unpickler is not _pickle.Unpickler:
    sys.exit("oracle.py needs CPython's C unpickler (_pickle.Unpickler)")


class LaocoonStub:
    """An inert class: every construction, call and mutation does nothing."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(*args):
        pass

    def append(*args):
        pass

    def extend(*args):
        pass

    def add(*args):
        pass

    def __setitem__(*args):
        pass

    def __call__(self, *args, **kwargs):
        return LaocoonStub()


class RecordingUnpickler(pickle.Unpickler):  # that is _pickle.Unpickler, checked above
    def __init__(self, file, imports):
        super().__init__(file, encoding='latin1')
        self.imports = imports

    def find_class(self, module, name):
        self.imports.append([module, name])
        return LaocoonStub

    def persistent_load(self, pid):
        return LaocoonStub()


def check(path):
    imports = []
    loads = 0
    error = None
    with open(path, 'rb') as f:
        st = os.fstat(f.fileno())
        size = st.st_size
        # what open() chose as the io.BufferedReader's buffer size
        bufsize = st.st_blksize if st.st_blksize > 1 else io.DEFAULT_BUFFER_SIZE
        while True:
            try:
                RecordingUnpickler(f, imports).load()
            except Exception as e:  # any failure ends the stream, as for a real loader
                error = {"type": type(e).__name__, "message": str(e)}
                break
            loads += 1
            if f.tell() >= size:
                break
    return {"imports": imports, "loads": loads, "clean": error is None, "error": error, "bufsize": bufsize}


def main(argv):
    paths = []
    args = argv[1:]
    if len(args) == 2 and args[0] == '--list':
        with open(args[1], encoding='utf-8') as lst:
            paths = [line.rstrip('\n') for line in lst if line.strip()]
    else:
        paths = args
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = 2 << 30
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):
        pass
    warnings.simplefilter('ignore')  # e.g. DeprecationWarning for invalid escapes in STRING
    out = sys.stdout
    for p in paths:
        out.write(json.dumps(check(p)) + '\n')
    out.flush()


if __name__ == '__main__':
    main(sys.argv)
