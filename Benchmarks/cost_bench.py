"""What Cairn asks of S3, counted (issue 22's cost model, docs/operations.md): `cairn serve` on the local S3 server,
filled and queried through the official client, with every store request read from the server's own
`cairn_object_store_requests_total{operation,outcome}` and `cairn_object_store_*_bytes_total` in /metrics (each
retry counts). Scenarios:

- writes: 1,000 records as 10 adds of 100, then 1,000 single-record adds from 8 threads (group commit), and the
  compaction that folds them (PUTs per 1,000 writes, bytes written);
- a 100k x 128-d collection (the standard dataset) loaded and compacted; its bytes on the store per vector;
- a cold query: a fresh `cairn serve` (no catalog file, empty caches) answering one query, and the next 1,000 warm
  queries (GETs and bytes each);
- a small collection (500 x 64-d, vectors kept in its record segment): the same cold/warm counts.

Run by Benchmarks/run-cost.sh (which starts the S3 server) with .venv-chroma's python; prints JSON and a table
priced at AWS S3 Standard list prices (us-east-1: PUT/LIST $0.005 and GET/HEAD $0.0004 per 1,000 requests,
storage $0.023 per GB-month; transfer inside the region free).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import server_bench  # noqa: E402

URL = os.environ["COST_S3_URL"]
PORT = int(os.environ.get("COST_PORT", "8495"))
N = int(os.environ.get("COST_N", "100000"))
PRICE_PUT = 0.005 / 1000  # PUT, COPY, POST, LIST
PRICE_GET = 0.0004 / 1000  # GET, HEAD
PRICE_GB_MONTH = 0.023
WRITE_OPS = ("put", "list", "create_multipart", "upload_part", "complete_multipart", "abort_multipart")
READ_OPS = ("get", "head")


class Server:
    def __init__(self, folder):
        self.folder = folder

    def __enter__(self):
        os.makedirs(self.folder, exist_ok=True)
        cmd = [os.environ["CAIRN_BIN"], "serve", "--store", URL, "--catalog", os.path.join(self.folder, "catalog.sqlite3"),
               "--port", str(PORT), "--log-level", "warning"]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server_bench.wait_port(PORT)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=60)

    def client(self):
        return server_bench.client(PORT)

    def counts(self):
        """{operation: requests}, plus 'read_bytes' and 'written_bytes', from /metrics."""
        return server_bench.object_store_counts(PORT)

    def wait_compacted(self, deadline=600):
        end = time.time() + deadline
        while not server_bench.compaction_idle(PORT):
            if time.time() > end:
                raise SystemExit("compaction did not finish")
            time.sleep(0.5)


def delta(after, before):
    keys = set(after) | set(before)
    return {k: int(after.get(k, 0) - before.get(k, 0)) for k in keys if after.get(k, 0) != before.get(k, 0)}


def price(d):
    writes = sum(v for k, v in d.items() if k in WRITE_OPS)
    reads = sum(v for k, v in d.items() if k in READ_OPS)
    return writes * PRICE_PUT + reads * PRICE_GET


def writes_scenario(server):
    c = server.client()
    rng = np.random.default_rng(7)
    batched = c.create_collection("cost-batched", embedding_function=None)
    before = server.counts()
    for b in range(10):
        batched.add(ids=[f"b{b}-{i}" for i in range(100)], embeddings=rng.random((100, 128)).tolist())
    logged = delta(server.counts(), before)
    server.wait_compacted()
    compacted = delta(server.counts(), before)

    singles = c.create_collection("cost-singles", embedding_function=None)
    before = server.counts()

    def worker(t):
        w = server.client().get_collection("cost-singles")
        r = np.random.default_rng(t)
        for i in range(125):
            w.add(ids=[f"s{t}-{i}"], embeddings=[r.random(128).tolist()])

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    single = delta(server.counts(), before)
    server.wait_compacted()
    single_compacted = delta(server.counts(), before)
    assert singles.count() == 1000 and batched.count() == 1000
    return {"adds_of_100": {"log": logged, "with_compaction": compacted},
            "single_adds_8_threads": {"log": single, "with_compaction": single_compacted}}


def load_scenario(server, data):
    c = server.client()
    coll = c.create_collection("cost-big", embedding_function=None)
    base = data["base"][:N]
    ids = dataset.ids()[:N]
    metas = dataset.metadatas(data["tagidx"])[:N]
    docs = dataset.documents(data["cluster"])[:N]
    before = server.counts()
    for s in range(0, N, 1000):
        coll.add(ids=ids[s:s + 1000], embeddings=base[s:s + 1000], metadatas=metas[s:s + 1000], documents=docs[s:s + 1000])
    server.wait_compacted()
    small = c.create_collection("cost-small", embedding_function=None)
    rng = np.random.default_rng(11)
    small.add(ids=[f"m{i}" for i in range(500)], embeddings=rng.random((500, 64)).tolist())
    server.wait_compacted()
    return {"load_and_compact": delta(server.counts(), before)}


def query_scenario(folder, name, queries, where=None):
    """A fresh node's first query on `name`, then 1,000 warm ones."""
    node = os.path.join(folder, f"node-{name}")
    shutil.rmtree(node, ignore_errors=True)
    with Server(node) as server:
        coll = server.client().get_collection(name)
        before = server.counts()
        t = time.perf_counter()
        coll.query(query_embeddings=queries[:1], n_results=10, where=where)
        cold_ms = (time.perf_counter() - t) * 1000
        cold = delta(server.counts(), before)
        before = server.counts()
        for i in range(1000):
            coll.query(query_embeddings=queries[i % len(queries):i % len(queries) + 1], n_results=10, where=where)
        warm = delta(server.counts(), before)
    return {"cold": cold, "cold_ms": round(cold_ms, 1), "warm_1000": warm}


def main():
    data = dataset.load()
    folder = tempfile.mkdtemp(prefix="cost-bench-")
    result = {}
    try:
        with Server(os.path.join(folder, "writer")) as server:
            result["writes"] = writes_scenario(server)
            result["load"] = load_scenario(server, data)
        q128 = data["queries"].tolist() if hasattr(data["queries"], "tolist") else data["queries"]
        result["query_big"] = query_scenario(folder, "cost-big", q128)
        rng = np.random.default_rng(5)
        result["query_small"] = query_scenario(folder, "cost-small", rng.random((100, 64)).tolist())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))

    w = result["writes"]
    big, small = result["query_big"], result["query_small"]
    stored = result["load"]["load_and_compact"].get("written_bytes", 0)
    print("\nper 1,000 writes (adds of 100): log requests", w["adds_of_100"]["log"],
          f"cost ${price(w['adds_of_100']['log']):.6f}; with their compaction", w["adds_of_100"]["with_compaction"],
          f"${price(w['adds_of_100']['with_compaction']):.6f}")
    print("per 1,000 single adds from 8 threads: log", w["single_adds_8_threads"]["log"],
          f"${price(w['single_adds_8_threads']['log']):.6f}; with compaction", w["single_adds_8_threads"]["with_compaction"],
          f"${price(w['single_adds_8_threads']['with_compaction']):.6f}")
    print(f"load {N} x 128-d and compact:", result["load"]["load_and_compact"])
    for label, q in (("100k x 128-d", big), ("500 x 64-d", small)):
        print(f"{label}: cold first query {q['cold_ms']} ms, {q['cold']}, ${price(q['cold']):.7f}; "
              f"1,000 warm queries {q['warm_1000']}, ${price(q['warm_1000']):.7f}")
    print(f"written while loading {N} vectors: {stored / N:.0f} B per vector "
          f"(${stored / 1e9 * PRICE_GB_MONTH:.4f} per month if all kept; garbage collection removes the log)")


if __name__ == "__main__":
    main()
