#!/usr/bin/env python3
"""Reference benchmark: chromadb (embedded PersistentClient), space l2, default HNSW params, on the standard
dataset (dataset.py, next to this file). CollectionBench (Benchmarks/Sources/CollectionBench) measures Cairn the
same way; Benchmarks/run-collection.sh runs both in one run and collection_compare.py puts them side by side.

Measures: ingest (batches of 1,000 with metadata and documents), query k=10 one per call, filtered query
(cat < 500 / < 100 / < 10 / == 7: 50, 10, 1, 0.1 %), get by where and by ids, count, cold start in a fresh
process (page cache warm, then dropped), memory (RSS, peak), bytes on disk, and queries after deleting 10 %.

Run alone: `python3 Benchmarks/chroma_bench.py` -> prints one JSON object on stdout (progress on stderr); needs
chromadb 1.5.9, numpy and psutil (run-collection.sh installs them in .venv-bench).
Env knobs: PEERS_N (default 100000, base vectors ingested), PEERS_NQ_FILTER (queries per
filtered case, default 1000), PEERS_CHROMA_DIR (default /tmp/peers-chroma; wiped first),
PEERS_DATA_DIR (the dataset's cache, see dataset.py).
Internal: `python3 chroma_bench.py --cold-child PATH` is the fresh-process cold-start probe.
"""
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time

T_PROCESS_START = time.time()  # before heavy imports (cold-child uses this)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # dataset.py

COLL = "peers_bench"
BATCH = 1000


def log(*a):
    print("[chroma_bench]", *a, file=sys.stderr, flush=True)


def maxrss_mib():
    """Peak RSS of this process (VmHWM). ru_maxrss is not used: Linux carries it over
    fork+exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cur_rss_mib():
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def dir_bytes(path):
    apparent = alloc = 0
    per_top = {}
    for root, _, files in os.walk(path):
        for f in files:
            st = os.stat(os.path.join(root, f))
            apparent += st.st_size
            alloc += st.st_blocks * 512
            top = os.path.relpath(root, path).split(os.sep)[0]
            key = f if top == "." else top + "/"
            per_top[key] = per_top.get(key, 0) + st.st_size
    return {"apparent_bytes": apparent, "allocated_bytes": alloc, "by_entry": per_top}


def drop_page_cache(path):
    """Evict this directory's files from the page cache (fsync + POSIX_FADV_DONTNEED)."""
    n = 0
    for root, _, files in os.walk(path):
        for f in files:
            fd = os.open(os.path.join(root, f), os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                n += 1
            finally:
                os.close(fd)
    return n


def pct(xs, p):
    import numpy as np
    return float(np.percentile(np.asarray(xs), p))


def ids_to_idx(idlist):
    return [int(s[2:]) for s in idlist]


def open_client(path):
    import chromadb
    from chromadb.config import Settings
    return chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))


def run_queries(col, queries, gt, where=None, include=("distances",), results=None):
    """Single-threaded: one query per call. Returns stats dict."""
    import dataset as ds
    lat = []
    res = []
    minret = 10**9
    t0 = time.perf_counter()
    for q in queries:
        s = time.perf_counter()
        r = col.query(query_embeddings=[q], n_results=ds.K, where=where, include=list(include))
        lat.append(time.perf_counter() - s)
        got = r["ids"][0]
        minret = min(minret, len(got))
        res.append(ids_to_idx(got))
    total = time.perf_counter() - t0
    if results is not None:
        results.extend(res)
    return {
        "queries": len(queries),
        "qps": len(queries) / total,
        "p50_ms": pct(lat, 50) * 1e3,
        "p99_ms": pct(lat, 99) * 1e3,
        "mean_ms": total / len(queries) * 1e3,
        "recall_at_10": ds.recall_at_k(res, gt[: len(queries)]),
        "min_results_returned": minret,
    }


def gt_all(ds, d, n):
    if n == ds.N:
        return ds.ground_truth(d)
    return ds.cached_gt(f"all_n{n}", d["base"][:n], d["queries"])


# --------------------------------------------------------------------------------------
def cold_child(path):
    """Fresh process: open PersistentClient on an existing path, time to first query result."""
    t_imp0 = time.time()
    import numpy as np
    import chromadb  # noqa: F401
    import dataset as ds
    t_imp1 = time.time()
    d = ds.load()
    gt = gt_all(ds, d, int(os.environ.get("PEERS_N", ds.N)))
    q0 = d["queries"][0]
    rss_before_open = cur_rss_mib()
    t_open = time.perf_counter()
    client = open_client(path)
    t_client = time.perf_counter()
    col = client.get_collection(COLL)
    t_coll = time.perf_counter()
    r = col.query(query_embeddings=[q0], n_results=10, include=["distances"])
    t_first = time.perf_counter()
    t_first_wall = time.time()
    first_ok = ids_to_idx(r["ids"][0])
    rss_first = cur_rss_mib()
    s = time.perf_counter()
    col.query(query_embeddings=[d["queries"][1]], n_results=10, include=["distances"])
    second_ms = (time.perf_counter() - s) * 1e3
    stats = run_queries(col, d["queries"], gt)
    out = {
        "t_process_start_wall": T_PROCESS_START,
        "t_first_result_wall": t_first_wall,
        "import_s": t_imp1 - t_imp0,
        "open_client_s": t_client - t_open,
        "get_collection_s": t_coll - t_client,
        "first_query_s": t_first - t_coll,
        "open_to_first_result_s": t_first - t_open,
        "first_result_recall": len(set(first_ok) & set(int(x) for x in gt[0])) / 10,
        "second_query_ms": second_ms,
        "rss_before_open_mib": rss_before_open,
        "rss_after_first_query_mib": rss_first,
        "queries_after_cold_open": stats,
        "rss_after_1000_queries_mib": cur_rss_mib(),
        "maxrss_mib": maxrss_mib(),
        "count": col.count(),
    }
    client.close()
    print(json.dumps(out))


def cold_start(path, drop_cache):
    if drop_cache:
        nfiles = drop_page_cache(path)
    t_spawn = time.time()
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--cold-child", path],
                       capture_output=True, text=True, cwd=HERE)
    t_end = time.time()
    if p.returncode != 0:
        raise RuntimeError("cold child failed: " + p.stderr[-3000:])
    child = json.loads(p.stdout.strip().splitlines()[-1])
    child["process_start_to_first_result_s"] = child["t_first_result_wall"] - t_spawn
    child["interpreter_start_latency_s"] = child["t_process_start_wall"] - t_spawn
    child["child_total_wall_s"] = t_end - t_spawn
    child["page_cache_dropped"] = drop_cache
    if drop_cache:
        child["files_evicted"] = nfiles
    return child


# --------------------------------------------------------------------------------------
def main():
    import numpy as np
    import chromadb
    import dataset as ds

    n = int(os.environ.get("PEERS_N", ds.N))
    nqf = int(os.environ.get("PEERS_NQ_FILTER", ds.NQ))
    path = os.environ.get("PEERS_CHROMA_DIR", "/tmp/peers-chroma")
    shutil.rmtree(path, ignore_errors=True)

    d = ds.load()
    base, queries = d["base"][:n], d["queries"]
    ids = ds.ids()[:n]
    mds = ds.metadatas(d["tagidx"])[:n]
    docs = ds.documents(d["cluster"])[:n]
    gt = gt_all(ds, d, n)
    cat = np.arange(n) % 1000
    out = {"chromadb_version": chromadb.__version__, "n": n, "dim": ds.DIM, "batch": BATCH,
           "persist_dir": path, "space": "l2"}
    out["rss_before_client_mib"] = cur_rss_mib()

    client = open_client(path)
    col = client.create_collection(COLL, metadata={"hnsw:space": "l2"}, embedding_function=None)
    out["collection_configuration"] = {k: v for k, v in col.configuration_json.get("hnsw", {}).items()}

    # ---------------- ingest
    log(f"ingest {n} ...")
    blat = []
    t0 = time.perf_counter()
    for s in range(0, n, BATCH):
        bs = time.perf_counter()
        col.add(ids=ids[s:s + BATCH], embeddings=base[s:s + BATCH],
                metadatas=mds[s:s + BATCH], documents=docs[s:s + BATCH])
        blat.append(time.perf_counter() - bs)
        if (s // BATCH) % 20 == 19:
            log(f"  {s + BATCH} added, {(s + BATCH) / (time.perf_counter() - t0):.0f} vec/s")
    t_added = time.perf_counter()
    r = col.query(query_embeddings=[queries[0]], n_results=10, include=["distances"])
    t_ready = time.perf_counter()
    cnt = col.count()
    assert cnt == n, cnt
    out["ingest"] = {
        "add_wall_s": t_added - t0,
        "until_queryable_wall_s": t_ready - t0,
        "vectors_per_s": n / (t_ready - t0),
        "first_query_after_ingest_ms": (t_ready - t_added) * 1e3,
        "batch_p50_ms": pct(blat, 50) * 1e3,
        "batch_p99_ms": pct(blat, 99) * 1e3,
        "first_batch_ms": blat[0] * 1e3,
        "last_batch_ms": blat[-1] * 1e3,
        "count": cnt,
    }
    out["rss_after_ingest_mib"] = cur_rss_mib()
    log("ingest", json.dumps(out["ingest"]))

    # ---------------- unfiltered query
    log("query ...")
    out["query"] = run_queries(col, queries, gt)
    out["query_default_include"] = run_queries(col, queries[:200], gt,
                                               include=("metadatas", "documents", "distances"))
    t = time.perf_counter()
    rb = col.query(query_embeddings=queries, n_results=10, include=["distances"])
    tb = time.perf_counter() - t
    out["query_batch_1000_in_one_call"] = {
        "qps": len(queries) / tb, "wall_s": tb,
        "recall_at_10": ds.recall_at_k([ids_to_idx(x) for x in rb["ids"]], gt)}
    log("query", json.dumps(out["query"]))

    # ---------------- filtered query
    filters = [("cat_lt_500", {"cat": {"$lt": 500}}, cat < 500),
               ("cat_lt_100", {"cat": {"$lt": 100}}, cat < 100),
               ("cat_lt_10", {"cat": {"$lt": 10}}, cat < 10),
               ("cat_eq_7", {"cat": 7}, cat == 7)]
    out["filtered_query"] = {}
    for name, where, mask in filters:
        allowed = np.nonzero(mask)[0]
        fgt = ds.cached_gt(f"{name}_n{n}", base, queries, allowed=allowed)
        log(f"filtered {name} ({len(allowed)} allowed) ...")
        st = run_queries(col, queries[:nqf], fgt, where=where)
        st["allowed"] = int(len(allowed))
        st["selectivity"] = len(allowed) / n
        out["filtered_query"][name] = st
        log("  ", json.dumps(st))

    # ---------------- metadata-only get
    def time_get(fn, reps):
        lat = []
        nret = None
        for _ in range(reps):
            s = time.perf_counter()
            g = fn()
            lat.append(time.perf_counter() - s)
            nret = len(g["ids"])
        return {"reps": reps, "p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3,
                "rows": nret}
    rng = np.random.default_rng(5)
    rid = [ids[i] for i in rng.choice(n, 100, replace=False)]
    out["get"] = {
        "where_shard_eq_3_limit_100": time_get(
            lambda: col.get(where={"shard": 3}, limit=100, include=["metadatas"]), 50),
        "where_shard_eq_3_limit_100_docs": time_get(
            lambda: col.get(where={"shard": 3}, limit=100, include=["metadatas", "documents"]), 50),
        "where_tag_eq_alpha_limit_100": time_get(
            lambda: col.get(where={"tag": "alpha"}, limit=100, include=["metadatas"]), 50),
        "where_cat_eq_7_all": time_get(
            lambda: col.get(where={"cat": 7}, include=["metadatas"]), 50),
        "by_100_ids_with_embeddings": time_get(
            lambda: col.get(ids=rid, include=["embeddings", "metadatas", "documents"]), 50),
        "count": time_get(lambda: {"ids": [col.count()]}, 50),
    }
    log("get", json.dumps(out["get"]))

    out["rss_before_close_mib"] = cur_rss_mib()
    out["maxrss_main_process_mib"] = maxrss_mib()
    client.close()
    del col, client
    gc.collect()
    out["disk_after_ingest"] = dir_bytes(path)
    log("disk", json.dumps(out["disk_after_ingest"]))

    # ---------------- cold start (fresh process)
    log("cold start (page cache warm) ...")
    out["cold_start_warm_cache"] = cold_start(path, drop_cache=False)
    log("cold start (page cache dropped for persist dir) ...")
    out["cold_start_dropped_cache"] = cold_start(path, drop_cache=True)
    log("cold", json.dumps({k: out["cold_start_dropped_cache"][k] for k in
                            ("process_start_to_first_result_s", "open_to_first_result_s")}))

    # ---------------- delete 10% and re-measure
    client = open_client(path)
    col = client.get_collection(COLL)
    rng = np.random.default_rng(7)
    del_idx = np.sort(rng.permutation(n)[: n // 10])
    keep = np.setdiff1d(np.arange(n), del_idx)
    log(f"delete {len(del_idx)} ...")
    t = time.perf_counter()
    for s in range(0, len(del_idx), BATCH):
        col.delete(ids=[ids[i] for i in del_idx[s:s + BATCH]])
    tdel = time.perf_counter() - t
    t = time.perf_counter()
    col.query(query_embeddings=[queries[0]], n_results=10, include=["distances"])
    tfirst = time.perf_counter() - t
    dgt = ds.cached_gt(f"del10_n{n}", base, queries, allowed=keep)
    dres = []
    st = run_queries(col, queries, dgt, results=dres)
    st["deleted"] = int(len(del_idx))
    st["delete_wall_s"] = tdel
    st["deletes_per_s"] = len(del_idx) / tdel
    st["first_query_after_delete_ms"] = tfirst * 1e3
    st["count_after_delete"] = col.count()
    dset = set(int(i) for i in del_idx)
    st["deleted_ids_returned"] = sum(1 for r in dres for i in r if i in dset)
    out["after_delete_10pct"] = st
    log("after delete", json.dumps(st))
    client.close()
    del col, client
    gc.collect()
    out["disk_after_delete"] = dir_bytes(path)
    out["maxrss_main_process_mib_final"] = maxrss_mib()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--cold-child":
        cold_child(sys.argv[2])
    else:
        main()
