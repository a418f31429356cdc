"""Read speed of many small collections (issue 25, decision 0025): 300 collections x 500 vectors (64-d), filled through
the official client, queried after a restart (nothing cached): each collection's first query (cold), then three
rounds over all of them (warm), p50/p99 and recall@10 against exact neighbours. Three servers in one run:

- cairn:       the default (collections up to 1,000 records keep their vectors in the records, searched exactly)
- cairn-hnsw:  `--vectors-in-records-limit 0` (every collection gets an HNSW file, as before decision 0025)
- chroma:      `chroma run` (chromadb 1.5.9)

Run by Benchmarks/run-small-reads.sh with .venv-chroma's python; SMALL_READS_COLLECTIONS overrides 300.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_bench  # noqa: E402

PORT = 8924
COLLECTIONS = int(os.environ.get("SMALL_READS_COLLECTIONS", "300"))
PER, DIM, K = 500, 64, 10


def data():
    rng = np.random.default_rng(25)
    vectors = [rng.normal(size=(PER, DIM)).astype(np.float32) for _ in range(COLLECTIONS)]
    queries = [rng.normal(size=(4, DIM)).astype(np.float32) for _ in range(COLLECTIONS)]
    return vectors, queries


def exact(vectors, query):
    d = ((vectors - query) ** 2).sum(axis=1)
    return set(np.argsort(d)[:K].tolist())


def percentile(values, p):
    return round(float(np.percentile(np.array(values) * 1000, p)), 3)


def run(variant, vectors, queries):
    kind = "chroma" if variant == "chroma" else "cairn"
    os.environ["CAIRN_SERVE_ARGS"] = "--vectors-in-records-limit 0" if variant == "cairn-hnsw" else ""
    folder = tempfile.mkdtemp(prefix=f"small-reads-{variant}-")
    process = server_bench.start(kind, folder, PORT)
    try:
        client = server_bench.client(PORT)
        for c in range(COLLECTIONS):
            col = client.create_collection(f"c{c:05d}", embedding_function=None)
            col.add(ids=[str(i) for i in range(PER)], embeddings=vectors[c].tolist())
        if kind == "cairn":
            server_bench.wait_indexed(PORT)
    finally:
        process.send_signal(15)
        process.wait(timeout=120)
    process = server_bench.start(kind, folder, PORT)
    result = {"server": variant, "collections": COLLECTIONS, "per": PER, "dim": DIM}
    try:
        client = server_bench.client(PORT)
        cols = [client.get_collection(f"c{c:05d}") for c in range(COLLECTIONS)]
        cold, warm, hits = [], [], 0
        for c, col in enumerate(cols):
            started = time.perf_counter()
            col.query(query_embeddings=[queries[c][0].tolist()], n_results=K, include=["distances"])
            cold.append(time.perf_counter() - started)
        for round_ in range(3):
            for c, col in enumerate(cols):
                q = queries[c][1 + round_]
                started = time.perf_counter()
                found = col.query(query_embeddings=[q.tolist()], n_results=K, include=["distances"])
                warm.append(time.perf_counter() - started)
                hits += len(exact(vectors[c], q) & {int(i) for i in found["ids"][0]})
        result.update(cold_p50_ms=percentile(cold, 50), cold_p99_ms=percentile(cold, 99),
                      warm_p50_ms=percentile(warm, 50), warm_p99_ms=percentile(warm, 99),
                      recall_at_10=round(hits / (3 * COLLECTIONS * K), 4))
    finally:
        process.send_signal(15)
        process.wait(timeout=120)
        subprocess.run(["rm", "-rf", folder], check=False)
    return result


def main():
    vectors, queries = data()
    rows = []
    for variant in ["cairn", "cairn-hnsw", "chroma"]:
        row = run(variant, vectors, queries)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print(f"summary (ms through the official client; load {os.getloadavg()[0]:.1f}): server | cold p50 / p99 | "
          "warm p50 / p99 | recall@10")
    for row in rows:
        print(f"  {row['server']}: {row['cold_p50_ms']} / {row['cold_p99_ms']} | {row['warm_p50_ms']} / "
              f"{row['warm_p99_ms']} | {row['recall_at_10']}")


if __name__ == "__main__":
    main()
