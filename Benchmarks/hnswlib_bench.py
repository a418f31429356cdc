#!/usr/bin/env python3
"""Reference benchmark: raw hnswlib 0.8.0 (the library chroma's local HNSW is built on) on the standard dataset
(dataset.py, next to this file). Benchmarks/run-index.sh runs it beside IndexBench in the same run.

Params match chroma's collection defaults (hnsw:M=16, construction_ef=100, search_ef=100,
space l2 = squared L2). Measures: build with 1 and 2 threads, search at ef 10/50/100/200 (one query per call,
and a batch of 1,000 with 1 and 2 threads), filtered search through hnswlib's filter callback, save, and load
(page cache warm, then dropped). Run alone: `python3 Benchmarks/hnswlib_bench.py` -> JSON on stdout (progress
on stderr). The index file goes to $PEERS_HNSW_INDEX (default <dataset cache>/hnswlib-index.bin) and is removed.
"""
import json
import os
import resource
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # dataset.py
import dataset as ds  # noqa: E402

M = 16
EF_CONSTRUCTION = 100
EF_SEARCH = (10, 50, 100, 200)
SEED = 100
INDEX_PATH = os.environ.get("PEERS_HNSW_INDEX", os.path.join(ds.CACHE_DIR, "hnswlib-index.bin"))


def log(*a):
    print("[hnswlib_bench]", *a, file=sys.stderr, flush=True)


def rss_mib():
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def build(hnswlib, base, threads):
    idx = hnswlib.Index(space="l2", dim=base.shape[1])
    idx.init_index(max_elements=base.shape[0], M=M, ef_construction=EF_CONSTRUCTION,
                   random_seed=SEED)
    idx.set_num_threads(threads)
    t = time.perf_counter()
    idx.add_items(base, np.arange(base.shape[0]), num_threads=threads)
    return idx, time.perf_counter() - t


def single_queries(idx, queries, gt, k=10, flt=None, nq=None):
    qs = queries if nq is None else queries[:nq]
    lat, res = [], []
    t0 = time.perf_counter()
    for q in qs:
        s = time.perf_counter()
        if flt is None:
            labels, _ = idx.knn_query(q, k=k, num_threads=1)
        else:
            labels, _ = idx.knn_query(q, k=k, num_threads=1, filter=flt)
        lat.append(time.perf_counter() - s)
        res.append(labels[0].tolist())
    tot = time.perf_counter() - t0
    lat = np.asarray(lat)
    return {"queries": len(qs), "qps": len(qs) / tot,
            "p50_ms": float(np.percentile(lat, 50) * 1e3),
            "p99_ms": float(np.percentile(lat, 99) * 1e3),
            "recall_at_10": ds.recall_at_k(res, gt[: len(qs)])}


def main():
    import hnswlib
    import importlib.metadata as md
    d = ds.load()
    base, queries = d["base"], d["queries"]
    gt = ds.ground_truth(d)
    out = {"hnswlib_version": md.version("hnswlib"), "n": int(base.shape[0]), "dim": ds.DIM,
           "space": "l2", "M": M, "ef_construction": EF_CONSTRUCTION, "random_seed": SEED,
           "chroma_defaults_matched": "hnsw:M=16, hnsw:construction_ef=100, hnsw:search_ef=100"}

    rss0 = rss_mib()
    log("build 1 thread ...")
    idx1, t1 = build(hnswlib, base, 1)
    out["build_1_thread"] = {"wall_s": t1, "vectors_per_s": base.shape[0] / t1}
    out["index_rss_delta_mib"] = rss_mib() - rss0
    del idx1
    log("build 2 threads ...")
    idx, t2 = build(hnswlib, base, 2)
    out["build_2_threads"] = {"wall_s": t2, "vectors_per_s": base.shape[0] / t2}
    log(json.dumps(out))

    out["search_single_thread_one_query_per_call"] = {}
    out["search_batch_1000"] = {}
    for ef in EF_SEARCH:
        idx.set_ef(ef)
        st = single_queries(idx, queries, gt)
        out["search_single_thread_one_query_per_call"][f"ef{ef}"] = st
        b = {}
        for th in (1, 2):
            t = time.perf_counter()
            labels, _ = idx.knn_query(queries, k=10, num_threads=th)
            tb = time.perf_counter() - t
            b[f"threads{th}_qps"] = len(queries) / tb
        b["recall_at_10"] = ds.recall_at_k(labels, gt)
        out["search_batch_1000"][f"ef{ef}"] = b
        log(f"ef={ef}", json.dumps(st), json.dumps(b))

    # filtered search (hnswlib's own filter callback; this is the mechanism chroma's local
    # HNSW uses for where-filters). Python callback => absolute QPS is pessimistic; recall is
    # the point. ef=100 (chroma default). 200 queries each.
    idx.set_ef(100)
    cat = np.arange(base.shape[0]) % 1000
    out["filtered_ef100_python_filter"] = {}
    for name, mask in (("cat_lt_500", cat < 500), ("cat_lt_100", cat < 100),
                       ("cat_lt_10", cat < 10), ("cat_eq_7", cat == 7)):
        allowed = np.nonzero(mask)[0]
        fgt = ds.cached_gt(f"{name}_n{base.shape[0]}", base, queries, allowed=allowed)
        mb = bytes(mask.astype(np.uint8))
        st = single_queries(idx, queries, fgt, flt=lambda i: mb[i] == 1, nq=200)
        st["allowed"] = int(len(allowed))
        out["filtered_ef100_python_filter"][name] = st
        log(name, json.dumps(st))

    t = time.perf_counter()
    idx.save_index(INDEX_PATH)
    out["save_index_s"] = time.perf_counter() - t
    out["index_file_bytes"] = os.path.getsize(INDEX_PATH)
    del idx
    # reload (page cache warm, then evicted)
    for label in ("load_index_warm_cache_s", "load_index_dropped_cache_s"):
        if label.startswith("load_index_dropped"):
            fd = os.open(INDEX_PATH, os.O_RDONLY)
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        t = time.perf_counter()
        idx = hnswlib.Index(space="l2", dim=ds.DIM)
        idx.load_index(INDEX_PATH, max_elements=base.shape[0])
        idx.set_ef(100)
        idx.knn_query(queries[0], k=10, num_threads=1)
        out[label] = time.perf_counter() - t
        del idx
    os.remove(INDEX_PATH)
    with open("/proc/self/status") as f:
        out["maxrss_mib"] = [int(l.split()[1]) / 1024.0 for l in f if l.startswith("VmHWM:")][0]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
