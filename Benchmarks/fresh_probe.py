"""Where a fresh-writes window goes (issue 19, decision 0020): one `cairn serve`, a bulk load of FRESH_PROBE_N
vectors (default 100,000, the standard dataset, batches of 1,000 with metadata), then unfiltered queries one at a
time for FRESH_PROBE_SECONDS (default 20). Each second it prints the tail index's size (`cairn_tail_index_vectors`),
the client's p50 and mean, and the server's own mean time per query (the query route's histogram in `/metrics`):
the gap between the two is the client and the HTTP hop, the server's part is what the window costs.

Run with .venv-chroma's python and CAIRN_BIN set (a release build), e.g.
`CAIRN_BIN=$PWD/.build/release/cairn .venv-chroma/bin/python Benchmarks/fresh_probe.py`.
"""
import os
import sys
import tempfile
import time
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # dataset.py and server_bench.py, next to this file
import dataset  # noqa: E402
import server_bench  # noqa: E402

N = int(os.environ.get("FRESH_PROBE_N", "100000"))
SECONDS = int(os.environ.get("FRESH_PROBE_SECONDS", "20"))
PORT = 8483


def server_side():
    """The query route's total seconds and count so far, and the tail index's vectors."""
    total = count = vectors = 0.0
    for line in urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics").read().decode().splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("cairn_http_request_duration_seconds_sum") and "/query" in name:
            total = float(value)
        elif name.startswith("cairn_http_request_duration_seconds_count") and "/query" in name:
            count = float(value)
        elif name == "cairn_tail_index_vectors":
            vectors = float(value)
    return total, count, vectors


def main():
    data = dataset.load()
    folder = tempfile.mkdtemp(prefix="fresh-probe-")
    process = server_bench.start("cairn", folder, PORT)
    try:
        coll = server_bench.client(PORT).create_collection("probe", embedding_function=None)
        base, queries = data["base"][:N], data["queries"]
        ids, metas = dataset.ids()[:N], dataset.metadatas(data["tagidx"])[:N]
        started = time.perf_counter()
        for s in range(0, N, 1000):
            coll.add(ids=ids[s:s + 1000], embeddings=base[s:s + 1000], metadatas=metas[s:s + 1000])
        print(f"ingest {N / (time.perf_counter() - started):.0f} vectors/s", flush=True)
        q = 0
        for second in range(SECONDS):
            total0, count0, _ = server_side()
            latencies = []
            end = time.perf_counter() + 1
            while time.perf_counter() < end:
                s = time.perf_counter()
                coll.query(query_embeddings=queries[q % len(queries):q % len(queries) + 1], n_results=10,
                           include=["distances"])
                latencies.append(time.perf_counter() - s)
                q += 1
            total1, count1, vectors = server_side()
            server = (total1 - total0) / max(count1 - count0, 1) * 1000
            print(f"{second:2d}s tail index {int(vectors):6d}  client p50 {np.median(latencies) * 1000:.2f} "
                  f"mean {np.mean(latencies) * 1000:.2f} ms  server mean {server:.2f} ms  ({len(latencies)} queries)",
                  flush=True)
    finally:
        server_bench.stop(process, folder)


if __name__ == "__main__":
    main()
