# Test oracle: writes pickles of ordinary library objects, as the installed library versions pickle
# them (no payloads), for LibraryPicklesOracleTest. Usage: python3 library_pickles.py OUTDIR
# Writes pickles of ordinary library objects, as real library versions pickle them (no payloads).
import sys, os, pickle, io, re, enum, argparse, collections, datetime, decimal, fractions, typing
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def dump(name, obj, protos=(0, 2, 4, 5)):
    for p in protos:
        if p > pickle.HIGHEST_PROTOCOL: continue
        try:
            with open(os.path.join(out, f"{name}.p{p}.pkl"), "wb") as f:
                pickle.dump(obj, f, protocol=p)
        except Exception as e:
            print("skip", name, p, e, file=sys.stderr)
class _Unused:
    pass
ns = argparse.Namespace(lr=0.1, name="run", steps=[1, 2])
dump("stdlib_misc", {"re": re.compile(r"\w+", re.I), "dt": datetime.datetime(2020, 1, 2, 3, 4, 5),
     "td": datetime.timedelta(3), "d": datetime.date(2020, 1, 1), "dec": decimal.Decimal("1.5"),
     "fr": fractions.Fraction(1, 3), "od": collections.OrderedDict(a=1), "dd": collections.defaultdict(list),
     "cnt": collections.Counter("abc"), "deque": collections.deque([1, 2]), "set": {1, 2}, "fs": frozenset([3]),
     "cx": 1 + 2j, "ba": bytearray(b"x"), "rng": range(3), "sl": slice(1, 2), "ty": typing.Any,
     "opt": typing.Optional[int], "lst": typing.List[int], "pep585": list[int]})
try:
    import numpy as np
    dump("numpy", {"a": np.arange(6).reshape(2, 3), "f": np.float64(1.5), "i": np.int32(3), "dt": np.dtype("f4"),
         "s": np.array(["ab", "c"]), "o": np.array([1, "x", None], dtype=object), "rec": np.zeros(2, dtype=[("Open", "<f8"), ("n", "i4")]),
         "ma": np.ma.masked_array([1, 2], mask=[0, 1]), "m": np.matrix([[1, 2]]), "ufunc": np.add, "rs": np.random.RandomState(0),
         "gen": np.random.default_rng(0), "dt64": np.datetime64("2020-01-01"), "bool": np.bool_(True)})
except ImportError as e:
    print("no numpy", e, file=sys.stderr)
try:
    import pandas as pd, numpy as np
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": pd.Categorical(["u", "v"]), "t": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    dump("pandas", {"df": df, "s": pd.Series([1.0, 2.0], index=pd.Index(["p", "q"], name="k")), "mi": pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]),
         "ts": pd.Timestamp("2020-01-01", tz="UTC"), "td": pd.Timedelta("1D"), "per": pd.Period("2020-01"), "iv": pd.Interval(0, 1),
         "rng": pd.date_range("2020", periods=3), "nat": pd.NaT, "sparse": pd.arrays.SparseArray([0, 0, 1])})
except ImportError as e:
    print("no pandas", e, file=sys.stderr)
try:
    import scipy.sparse as sp, numpy as np, scipy.stats as st
    dump("scipy", {"csr": sp.csr_matrix(np.eye(3)), "coo": sp.coo_matrix(np.eye(2)), "csc": sp.csc_matrix(np.eye(2)), "dist": st.norm(0, 1)})
except ImportError as e:
    print("no scipy", e, file=sys.stderr)
try:
    import numpy as np
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler, OneHotEncoder, FunctionTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.cluster import KMeans
    from sklearn.svm import SVC
    from sklearn.neighbors import KNeighborsClassifier
    X = np.random.RandomState(0).rand(20, 3); y = (X[:, 0] > .5).astype(int)
    models = {"pipe": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
              "tree": DecisionTreeClassifier().fit(X, y), "rf": RandomForestClassifier(n_estimators=3).fit(X, y),
              "gb": GradientBoostingClassifier(n_estimators=3).fit(X, y), "km": KMeans(2, n_init=2).fit(X), "svc": SVC().fit(X, y),
              "knn": KNeighborsClassifier(3).fit(X, y), "ohe": OneHotEncoder().fit([["a"], ["b"]]),
              "tfidf": TfidfVectorizer().fit(["alpha beta", "beta gamma"]), "ft": FunctionTransformer(np.log1p).fit(X)}
    for k, m in models.items():
        dump("sklearn_" + k, m, protos=(2, 4))
    import joblib
    for k in ("pipe", "rf", "tfidf"):
        joblib.dump(models[k], os.path.join(out, f"joblib_{k}.joblib"))
        joblib.dump(models[k], os.path.join(out, f"joblib_{k}.joblib.gz"), compress=("gzip", 3))
except ImportError as e:
    print("no sklearn", e, file=sys.stderr)
try:
    import torch, torch.nn as nn
    m = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.BatchNorm1d(2), nn.LayerNorm(2), nn.Embedding(4, 2))
    torch.save(m.state_dict(), os.path.join(out, "torch_state.pt"))
    torch.save(m, os.path.join(out, "torch_module.pt"))
    opt = torch.optim.AdamW(m.parameters()); sch = torch.optim.lr_scheduler.StepLR(opt, 1)
    m(torch.zeros(2, 3)[:, :3].long().clamp(0, 3)[:, :1].float().repeat(1, 3)) if False else None
    torch.save({"model": m.state_dict(), "opt": opt.state_dict(), "sched": sch.state_dict(), "epoch": 3, "args": ns,
                "rng": torch.get_rng_state(), "np": np.zeros(2), "dtype": torch.float16, "dev": torch.device("cpu"),
                "size": torch.Size([2, 3]), "q": torch.quantize_per_tensor(torch.rand(3), 0.1, 0, torch.quint8),
                "sparse": torch.eye(2).to_sparse(), "half": torch.ones(2, dtype=torch.bfloat16), "cplx": torch.ones(1, dtype=torch.complex64)},
               os.path.join(out, "torch_ckpt.pt"))
    torch.save([torch.zeros(2) for _ in range(80000)], os.path.join(out, "torch_80k.pt"))
    torch.save(m.state_dict(), os.path.join(out, "torch_legacy.pt"), _use_new_zipfile_serialization=False)
    sm = torch.jit.script(nn.Linear(2, 2)); torch.jit.save(sm, os.path.join(out, "torchscript.pt"))
except ImportError as e:
    print("no torch", e, file=sys.stderr)
import pickle as _p
try:
    import numpy as np
    with open(os.path.join(out, "numpy_120k.pkl"), "wb") as f:
        _p.dump([np.zeros(1) for _ in range(120000)], f, protocol=4)
except ImportError:
    pass
