#!/usr/bin/env python3
"""Reference side of the index benchmark (run by run-index.sh, beside IndexBench in the same run).

1. Writes the filters IndexBench measures, with their exact ground truth (float64, dataset.exact_topk):
   random (uniform ids), contiguous (one run of consecutive ids: clustered in id space, as rows ingested
   together share metadata) and correlated (whole clusters of the Gaussian mixture: the allowed rows sit
   together in vector space, the adversarial case for a graph walk), at 50 / 10 / 1 / 0.1 / 0.01 %
   selectivity, into $PEERS_DATA_DIR/index-bench/.
2. Times numpy brute force (k=10, one query per call) unfiltered and on each filter's allowed rows.
Prints one JSON object on stdout.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # dataset.py, next to this file
import dataset as ds  # noqa: E402

SELECTIVITIES = (0.5, 0.1, 0.01, 0.001, 0.0001)
OUT = os.path.join(ds.CACHE_DIR, "index-bench")


def allowed_ids(shape, sel, cluster, n):
    m = max(1, int(round(sel * n)))
    rng = np.random.default_rng(1234 + int(sel * 1e6))
    if shape == "random":
        return np.sort(rng.choice(n, m, replace=False)).astype(np.int64)
    if shape == "contiguous":
        # One run of consecutive offset ids (rows ingested together), unrelated to where they lie in space.
        start = int(rng.integers(0, n - m + 1))
        return np.arange(start, start + m, dtype=np.int64)
    order = rng.permutation(cluster.max() + 1)
    ids = []
    for c in order:
        members = np.nonzero(cluster == c)[0]
        ids.extend(members[: m - len(ids)].tolist())
        if len(ids) >= m:
            break
    return np.sort(np.asarray(ids, dtype=np.int64))


def brute_ms(base, queries, nq=100):
    norms = (base * base).sum(1)
    lat = []
    for q in queries[:nq]:
        t = time.perf_counter()
        d = norms - 2.0 * (base @ q)
        kk = min(10, len(d))
        top = np.argpartition(d, kk - 1)[:kk] if len(d) > kk else np.arange(len(d))
        top[np.argsort(d[top])]
        lat.append(time.perf_counter() - t)
    lat = np.asarray(lat)
    return {"p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3),
            "qps": float(len(lat) / lat.sum())}


def main():
    d = ds.load()
    base, queries, cluster = d["base"], d["queries"], d["cluster"]
    gt = ds.ground_truth(d)
    os.makedirs(OUT, exist_ok=True)
    out = {"numpy_version": np.__version__, "n": int(base.shape[0]), "dim": int(base.shape[1])}
    out["numpy_bruteforce_unfiltered"] = brute_ms(base, queries)
    out["filters"] = {}
    for shape in ("random", "contiguous", "correlated"):
        for sel in SELECTIVITIES:
            name = f"{shape}_{sel:g}"
            allowed = allowed_ids(shape, sel, cluster, base.shape[0])
            gt_path = os.path.join(OUT, f"gt_{name}.npy")
            if not os.path.exists(gt_path):
                np.save(gt_path, ds.exact_topk(base, queries, allowed=allowed))
            np.save(os.path.join(OUT, f"allowed_{name}.npy"), allowed)
            # Numpy's filtered brute force: gather the allowed rows per query (as a where-clause would), then scan.
            lat = []
            for q in queries[:100]:
                t = time.perf_counter()
                sub = base[allowed]
                dd = ((sub - q) ** 2).sum(1)
                kk = min(10, len(dd))
                top = np.argpartition(dd, kk - 1)[:kk] if len(dd) > kk else np.arange(len(dd))
                allowed[top[np.argsort(dd[top])]]
                lat.append(time.perf_counter() - t)
            lat = np.asarray(lat)
            out["filters"][name] = {"allowed": int(len(allowed)),
                                    "numpy_bruteforce_p50_ms": float(np.percentile(lat, 50) * 1e3),
                                    "numpy_bruteforce_qps": float(len(lat) / lat.sum())}
            print(f"[index_reference] {name}: {len(allowed)} allowed, numpy p50 "
                  f"{out['filters'][name]['numpy_bruteforce_p50_ms']:.3f} ms", file=sys.stderr, flush=True)
    out["ground_truth_unfiltered"] = os.path.join(ds.CACHE_DIR, f"gt_all-{ds._TAG}.npy")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
