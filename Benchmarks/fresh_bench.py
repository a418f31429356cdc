"""Fresh writes (issue 19): how fast are queries over records just written? `cairn serve` beside `chroma run`
(chromadb 1.5.9), both through the official client on loopback, in one run, on the standard dataset
(Benchmarks/dataset.py).

1. Bulk load, then query at once: FRESH_BENCH_N vectors (default 100,000) added in batches of 1,000 with metadata and
   documents; from the moment the last `add` returns, queries (k=10) for FRESH_BENCH_AFTER seconds (default 15),
   cycling unfiltered, 10 % (`shard == 3`) and 1 % (`cat < 10`). Latencies are reported per kind over the whole
   window, over its first 2 s, second by second (p50), and (Cairn) before and after its background compaction
   finished; then, once everything is indexed (Cairn: compaction idle), FRESH_BENCH_SETTLED seconds (default 5) of
   the same queries: the indexed baseline.
2. Continuous ingest: a second collection, one client writing FRESH_BENCH_RATE records/s (default 2,000, batches of
   100) for FRESH_BENCH_SECONDS (default 60) while another queries the same three kinds without pause.

Run by Benchmarks/run-fresh.sh with .venv-chroma's python. Prints one JSON object per server and a summary line.
"""
import json
import os
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # dataset.py and server_bench.py, next to this file
import dataset  # noqa: E402
import server_bench  # noqa: E402

N = int(os.environ.get("FRESH_BENCH_N", "100000"))
AFTER = float(os.environ.get("FRESH_BENCH_AFTER", "15"))
RATE = int(os.environ.get("FRESH_BENCH_RATE", "2000"))
SECONDS = float(os.environ.get("FRESH_BENCH_SECONDS", "60"))
SETTLED = float(os.environ.get("FRESH_BENCH_SETTLED", "5"))
BATCH = 1000
KINDS = {"unfiltered": None, "filter10": {"shard": 3}, "filter1": {"cat": {"$lt": 10}}}


def percentiles(latencies):
    if not latencies:
        return None
    a = np.array(latencies) * 1000
    return {"n": len(a), "p50_ms": round(float(np.percentile(a, 50)), 2),
            "p99_ms": round(float(np.percentile(a, 99)), 2), "qps": round(len(a) / max(float(a.sum()) / 1000, 1e-9), 1)}


def query_loop(coll, queries, until, samples, stop=None):
    """Queries cycling through KINDS until `until` (or `stop` is set); appends (time, kind, latency) to samples."""
    q = 0
    kinds = list(KINDS.items())
    while time.perf_counter() < until and not (stop and stop.is_set()):
        kind, where = kinds[q % len(kinds)]
        s = time.perf_counter()
        coll.query(query_embeddings=queries[q % len(queries):q % len(queries) + 1], n_results=10, where=where,
                   include=["distances"])
        samples.append((s, kind, time.perf_counter() - s))
        q += 1


def bulk_then_query(kind, port, data):
    c = server_bench.client(port)
    coll = c.create_collection("fresh", embedding_function=None)
    base, queries = data["base"][:N], data["queries"]
    ids, metas, docs = dataset.ids()[:N], dataset.metadatas(data["tagidx"])[:N], dataset.documents(data["cluster"])[:N]
    t = time.perf_counter()
    for s in range(0, N, BATCH):
        coll.add(ids=ids[s:s + BATCH], embeddings=base[s:s + BATCH], metadatas=metas[s:s + BATCH],
                 documents=docs[s:s + BATCH])
    loaded = time.perf_counter()
    ingest = N / (loaded - t)
    indexed_at = [None]
    stop = threading.Event()
    if kind == "cairn":
        def watch():
            while not stop.is_set():
                if server_bench.compaction_idle(port):
                    indexed_at[0] = time.perf_counter()
                    return
                time.sleep(0.05)
        threading.Thread(target=watch, daemon=True).start()
    samples = []
    query_loop(coll, queries, loaded + AFTER, samples)
    stop.set()
    # The same queries once everything is indexed (Cairn: compaction published; both: SETTLED seconds of queries),
    # the baseline the window is compared with.
    if kind == "cairn":
        deadline = time.perf_counter() + 300
        while not server_bench.compaction_idle(port) and time.perf_counter() < deadline:
            time.sleep(0.1)
    settled = []
    query_loop(coll, queries, time.perf_counter() + SETTLED, settled)
    result = {"ingest_vectors_per_s": round(ingest),
              "compaction_done_after_s": round(indexed_at[0] - loaded, 2) if indexed_at[0] else None}
    for name in KINDS:
        mine = [(s - loaded, lat) for s, k, lat in samples if k == name]
        result[name] = {"all": percentiles([lat for _, lat in mine]),
                        "first_2s": percentiles([lat for s, lat in mine if s < 2]),
                        "indexed": percentiles([lat for _, k, lat in settled if k == name]),
                        "timeline_p50_ms": [(percentiles([lat for s, lat in mine if second <= s < second + 1])
                                             or {}).get("p50_ms") for second in range(int(AFTER))]}
        if kind == "cairn":
            done = indexed_at[0] - loaded if indexed_at[0] else float("inf")
            result[name]["before_compaction"] = percentiles([lat for s, lat in mine if s < done])
            result[name]["after_compaction"] = percentiles([lat for s, lat in mine if s >= done])
    return result


def continuous_ingest(port, data):
    c = server_bench.client(port)
    coll = c.create_collection("steady", embedding_function=None)
    base, queries = data["base"], data["queries"]
    metas, docs = dataset.metadatas(data["tagidx"]), dataset.documents(data["cluster"])
    # Seed with one batch so the first query has something to search.
    coll.add(ids=[f"s{i}" for i in range(100)], embeddings=base[:100], metadatas=metas[:100], documents=docs[:100])
    stop = threading.Event()
    written = [100]

    def writer():
        w = server_bench.client(port).get_collection("steady")
        start = time.perf_counter()
        i = 100
        while not stop.is_set():
            due = start + (i - 100) / RATE
            if time.perf_counter() < due:
                time.sleep(due - time.perf_counter())
            j = i % len(base)
            w.add(ids=[f"s{x}" for x in range(i, i + 100)], embeddings=base[j:j + 100], metadatas=metas[j:j + 100],
                  documents=docs[j:j + 100])
            i += 100
            written[0] = i
    thread = threading.Thread(target=writer, daemon=True)
    t = time.perf_counter()
    thread.start()
    samples = []
    query_loop(coll, queries, t + SECONDS, samples)
    stop.set()
    thread.join()
    elapsed = time.perf_counter() - t
    result = {"write_rate": round((written[0] - 100) / elapsed), "records_at_end": written[0]}
    for name in KINDS:
        result[name] = percentiles([lat for _, k, lat in samples if k == name])
    return result


def run(kind, port, data):
    folder = tempfile.mkdtemp(prefix=f"fresh-bench-{kind}-")
    process = server_bench.start(kind, folder, port)
    try:
        return {"server": kind, "n": N, "bulk": bulk_then_query(kind, port, data),
                "steady": continuous_ingest(port, data)}
    finally:
        server_bench.stop(process, folder)


def main():
    data = dataset.load()
    only = os.environ.get("FRESH_BENCH_ONLY")
    results = [run(k, p, data) for k, p in (("cairn", 8481), ("chroma", 8482)) if only in (None, k)]
    for r in results:
        print(json.dumps(r))
    if len(results) < 2:
        return
    cairn, chroma = results

    def cell(r, phase, name, window):
        v = r[phase][name][window] if window else r[phase][name]
        return f"{v['p50_ms']}" if v else "-"
    lines = [f"summary (N={N}, load {os.getloadavg()[0]:.1f}; p50 ms cairn/chroma): ingest "
             f"{cairn['bulk']['ingest_vectors_per_s']}/{chroma['bulk']['ingest_vectors_per_s']} vec/s "
             f"({cairn['bulk']['ingest_vectors_per_s'] / chroma['bulk']['ingest_vectors_per_s']:.1f}x); "
             f"cairn compaction done {cairn['bulk']['compaction_done_after_s']} s after the last add"]
    for name in KINDS:
        lines.append(
            f"  {name}: first 2 s {cell(cairn, 'bulk', name, 'first_2s')}/{cell(chroma, 'bulk', name, 'first_2s')}, "
            f"whole {AFTER:.0f} s {cell(cairn, 'bulk', name, 'all')}/{cell(chroma, 'bulk', name, 'all')}, "
            f"indexed {cell(cairn, 'bulk', name, 'indexed')}/{cell(chroma, 'bulk', name, 'indexed')}, "
            f"cairn before/after compaction {cell(cairn, 'bulk', name, 'before_compaction')}/"
            f"{cell(cairn, 'bulk', name, 'after_compaction')}; steady ingest "
            f"{cell(cairn, 'steady', name, None)}/{cell(chroma, 'steady', name, None)} "
            f"(p99 {cairn['steady'][name]['p99_ms']}/{chroma['steady'][name]['p99_ms']})")
    for name in KINDS:
        lines.append(f"  {name} p50 ms second by second after the load, cairn: "
                     f"{cairn['bulk'][name]['timeline_p50_ms']}; chroma: {chroma['bulk'][name]['timeline_p50_ms']}")
    lines.append(f"  steady write rate {cairn['steady']['write_rate']}/{chroma['steady']['write_rate']} records/s")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
