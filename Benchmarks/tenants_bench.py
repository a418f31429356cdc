"""Many small tenants on one node (issue 22, part 2): TENANTS_COLLECTIONS (10,000) collections x TENANTS_PER (1,000)
vectors of TENANTS_DIM (64) dimensions on one bucket (the local S3 server), filled through the official client, then
queried by TENANTS_CLIENTS (4) concurrent clients picking collections Zipf-skewed (s = TENANTS_ZIPF, 1.1) through a
fresh `cairn serve` whose bucket sits behind Benchmarks/latency_proxy.py (20 ms per request) and whose caches are
bounded (TENANTS_HNSW_CACHE, TENANTS_BLOCK_CACHE bytes): p50/p99 of every query, of first touches (a cold tenant:
nothing of it cached) and of the rest, the caches' hit ratios (its /metrics), and the server's RSS sampled every
0.2 s (its peak against the budgets).

Run by Benchmarks/run-tenants.sh (which starts the S3 server and the proxy), with .venv-chroma's python. Environment:
CAIRN_BIN, TENANTS_DIRECT_URL (the bucket without delay, for the fill), TENANTS_PROXY_URL (through the proxy),
TENANTS_QUERIES (20,000), TENANTS_SERVE_ARGS (extra `cairn serve` arguments, e.g. `--vectors-in-records-limit 0`).
Prints one JSON object per phase and a summary.
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_bench  # noqa: E402

PORT = 8925
COLLECTIONS = int(os.environ.get("TENANTS_COLLECTIONS", "10000"))
PER = int(os.environ.get("TENANTS_PER", "1000"))
DIM = int(os.environ.get("TENANTS_DIM", "64"))
QUERIES = int(os.environ.get("TENANTS_QUERIES", "20000"))
CLIENTS = int(os.environ.get("TENANTS_CLIENTS", "4"))
ZIPF = float(os.environ.get("TENANTS_ZIPF", "1.1"))
HNSW_CACHE = int(os.environ.get("TENANTS_HNSW_CACHE", str(512 << 20)))
BLOCK_CACHE = int(os.environ.get("TENANTS_BLOCK_CACHE", str(256 << 20)))


def serve(url, catalog, log):
    cmd = [os.environ["CAIRN_BIN"], "serve", "--store", url, "--catalog", catalog, "--port", str(PORT),
           "--log-level", "warning", "--hnsw-cache-bytes", str(HNSW_CACHE), "--block-cache-bytes", str(BLOCK_CACHE),
           "--max-concurrent-compactions", "2"]
    cmd += os.environ.get("TENANTS_SERVE_ARGS", "").split()
    process = subprocess.Popen(cmd, stdout=log, stderr=log)
    server_bench.wait_port(PORT)
    return process


def metrics():
    text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics").read().decode()
    values = {}
    for line in text.splitlines():
        match = re.match(r'^(cairn_cache_(?:hits|misses)_total)\{cache="(\w+)"\} (\S+)$', line)
        if match:
            values[(match.group(1), match.group(2))] = float(match.group(3))
    return values


def fill(url, catalog, log):
    process = serve(url, catalog, log)
    started = time.perf_counter()
    try:
        client = server_bench.client(PORT)
        rng = np.random.default_rng(22)
        ids = [str(i) for i in range(PER)]
        retries = 0
        for c in range(COLLECTIONS):
            embeddings = rng.normal(size=(PER, DIM)).astype(np.float32).tolist()
            # A write the bucket failed (the local S3 server stalls now and then under this load) is not
            # acknowledged: retried as a user would, idempotently (get-or-create, upsert).
            for attempt in range(6):
                try:
                    col = client.get_or_create_collection(f"t{c:05d}", embedding_function=None)
                    col.upsert(ids=ids, embeddings=embeddings)
                    break
                except Exception as error:  # noqa: BLE001 - the client raises several error types for a 500
                    if attempt == 5:
                        raise
                    retries += 1
                    print(f"  t{c:05d}: {str(error)[:120]}; retrying", flush=True)
                    time.sleep(2 * (attempt + 1))
            if c and c % 1000 == 0:
                print(f"  filled {c} collections in {time.perf_counter() - started:.0f} s", flush=True)
        filled = time.perf_counter() - started
        server_bench.wait_indexed(PORT, deadline=7200)
        return {"phase": "fill", "collections": COLLECTIONS, "vectors": COLLECTIONS * PER, "dim": DIM,
                "retried_writes": retries,
                "fill_s": round(filled, 1), "compacted_s": round(time.perf_counter() - started, 1)}
    finally:
        process.send_signal(15)
        process.wait(timeout=300)


def query(url, catalog, log):
    process = serve(url, catalog, log)
    baseline = server_bench.rss_bytes(process.pid)
    peak = [baseline]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], server_bench.rss_bytes(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rng = np.random.default_rng(23)
    ranks = np.arange(1, COLLECTIONS + 1)
    weights = ranks ** -ZIPF
    weights /= weights.sum()
    order = rng.permutation(COLLECTIONS)  # which collection each popularity rank is
    picks = order[rng.choice(COLLECTIONS, size=QUERIES, p=weights)]
    vectors = rng.normal(size=(QUERIES, DIM)).astype(np.float32)
    seen, seen_lock = set(), threading.Lock()
    cold, warm = [], []

    def worker(slice_):
        client = server_bench.client(PORT)
        handles = {}
        for i in slice_:
            c = int(picks[i])
            with seen_lock:
                first = c not in seen
                seen.add(c)
            started = time.perf_counter()
            col = handles.get(c) or client.get_collection(f"t{c:05d}")
            handles[c] = col
            col.query(query_embeddings=[vectors[i].tolist()], n_results=10, include=["distances"])
            (cold if first else warm).append(time.perf_counter() - started)

    try:
        before = metrics()
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(worker, [range(k, QUERIES, CLIENTS) for k in range(CLIENTS)]))
        elapsed = time.perf_counter() - started
        after = metrics()
        stop.set()
        sampler.join()
        hit_ratio = {}
        for cache in sorted({key[1] for key in after}):
            hits = after.get(("cairn_cache_hits_total", cache), 0) - before.get(("cairn_cache_hits_total", cache), 0)
            misses = (after.get(("cairn_cache_misses_total", cache), 0)
                      - before.get(("cairn_cache_misses_total", cache), 0))
            if hits + misses:
                hit_ratio[cache] = round(hits / (hits + misses), 4)
        return {"phase": "query", "queries": QUERIES, "clients": CLIENTS, "zipf": ZIPF,
                "distinct_collections": len(seen), "qps": round(QUERIES / elapsed, 1),
                "all": server_bench.percentiles(cold + warm), "cold_tenant": server_bench.percentiles(cold),
                "warm": server_bench.percentiles(warm),
                "cache_hit_ratio": hit_ratio, "rss_start_mib": round(baseline / 2**20, 1),
                "rss_peak_mib": round(peak[0] / 2**20, 1), "budget_mib": round((HNSW_CACHE + BLOCK_CACHE) / 2**20),
                "serve_args": os.environ.get("TENANTS_SERVE_ARGS", "")}
    finally:
        stop.set()
        process.send_signal(15)
        process.wait(timeout=300)


def main():
    catalog = os.path.join(tempfile.mkdtemp(prefix="tenants-catalog-"), "catalog.sqlite3")
    with open(os.environ.get("TENANTS_LOG", "/dev/null"), "a") as log:
        if os.environ.get("TENANTS_SKIP_FILL") != "1":
            print(json.dumps(fill(os.environ["TENANTS_DIRECT_URL"], catalog, log)), flush=True)
        result = query(os.environ["TENANTS_PROXY_URL"], catalog, log)
    print(json.dumps(result), flush=True)
    print(f"summary (load {os.getloadavg()[0]:.1f}): {COLLECTIONS} collections x {PER} x {DIM}-d, {QUERIES} queries "
          f"from {CLIENTS} clients, Zipf {ZIPF}, 20 ms per bucket request; "
          f"all p50/p99 {result['all'].get('p50_ms')}/{result['all'].get('p99_ms')} ms, "
          f"cold tenant p50/p99 {result['cold_tenant'].get('p50_ms')}/{result['cold_tenant'].get('p99_ms')} ms "
          f"({result['distinct_collections']} tenants touched), warm p50/p99 {result['warm'].get('p50_ms')}/"
          f"{result['warm'].get('p99_ms')} ms, {result['qps']} QPS; hit ratio {result['cache_hit_ratio']}; RSS "
          f"{result['rss_start_mib']} → peak {result['rss_peak_mib']} MiB with {result['budget_mib']} MiB of caches")


if __name__ == "__main__":
    main()
