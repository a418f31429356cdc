"""`cairn serve` vs `chroma run` (chromadb 1.5.9's own server), side by side in one run, through the official client
(HttpClient) on loopback: ingest rate (batches of 1,000 with metadata and documents), then query QPS and p99 latency
(k=10) at concurrency 1 and 8, on the standard dataset (Benchmarks/dataset.py, first $SERVER_BENCH_N vectors).
Run by Benchmarks/run-server.sh with .venv-chroma's python; prints one JSON object per server and a summary.
"""
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import chromadb
import numpy as np
from chromadb.config import Settings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # dataset.py, next to this file
import dataset  # noqa: E402

N = int(os.environ.get("SERVER_BENCH_N", "20000"))
QUERIES = int(os.environ.get("SERVER_BENCH_QUERIES", "1000"))
BATCH = 1000


def wait_port(port, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False)).heartbeat()
            return
        except Exception:  # noqa: BLE001 — not up yet
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def start(kind, folder, port):
    if kind == "cairn":
        cmd = [os.environ["CAIRN_BIN"], "serve", "--path", folder, "--port", str(port), "--log-level", "warning"]
        cmd += os.environ.get("CAIRN_SERVE_ARGS", "").split()
    else:
        cmd = [os.path.join(os.path.dirname(sys.executable), "chroma"), "run", "--path", folder, "--port", str(port)]
    # CAIRN_SERVE_LOG=FILE keeps Cairn's log (at info: each compaction's steps) to see what a run did.
    log = os.environ.get("CAIRN_SERVE_LOG") if kind == "cairn" else None
    if log:
        cmd = [c if c != "warning" else "info" for c in cmd]
    out = open(log, "a") if log else subprocess.DEVNULL
    process = subprocess.Popen(cmd, stdout=out, stderr=out)
    wait_port(port)
    return process


def gauges(port):
    """Cairn: every metric of its /metrics without labels, {name: value} (e.g. cairn_compaction_pending_records,
    cairn_compactions_running, cairn_compaction_backlog_bytes)."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#") and "{" not in parts[0]:
            values[parts[0]] = float(parts[1])
    return values


def compaction_idle(port):
    """Cairn: whether no log record waits for compaction and none runs (its /metrics)."""
    values = gauges(port)
    return values.get("cairn_compaction_pending_records", 1) == 0 and values.get("cairn_compactions_running", 1) == 0


def wait_indexed(port, deadline=600):
    """Polls Cairn's /metrics until no log record waits for compaction and none is running."""
    end = time.time() + deadline
    while time.time() < end:
        if compaction_idle(port):
            return
        time.sleep(0.1)
    raise SystemExit("cairn did not finish indexing")


def client(port):
    return chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))


def object_store_counts(port):
    """Cairn: store requests by operation ({operation: requests}, every outcome and retry counted), plus
    'read_bytes' and 'written_bytes', from its /metrics (`cairn_object_store_*`)."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    out = {"read_bytes": 0.0, "written_bytes": 0.0}
    for line in text.splitlines():
        if line.startswith("cairn_object_store_requests_total{"):
            labels, value = line.rsplit(" ", 1)
            operation = labels.split('operation="')[1].split('"')[0]
            out[operation] = out.get(operation, 0.0) + float(value)
        elif line.startswith("cairn_object_store_read_bytes_total"):
            out["read_bytes"] += float(line.rsplit(" ", 1)[1])
        elif line.startswith("cairn_object_store_written_bytes_total"):
            out["written_bytes"] += float(line.rsplit(" ", 1)[1])
    return out


def rss_bytes(pid, field="VmRSS"):
    """A process's resident memory from /proc (field VmRSS; VmHWM: its peak; RssAnon: anonymous memory only)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def percentiles(seconds):
    """n, p50, p99 and max in ms of latencies in seconds ({} when there are none)."""
    if not len(seconds):
        return {}
    ms = np.array(seconds) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2)}


def bench(kind, port, data):
    folder = tempfile.mkdtemp(prefix=f"server-bench-{kind}-")
    process = start(kind, folder, port)
    try:
        c = client(port)
        coll = c.create_collection("bench", embedding_function=None)
        base, queries = data["base"][:N], data["queries"][:QUERIES]
        ids = dataset.ids()[:N]
        metas = dataset.metadatas(data["tagidx"])[:N]
        docs = dataset.documents(data["cluster"])[:N]
        t = time.perf_counter()
        for s in range(0, N, BATCH):
            coll.add(ids=ids[s:s + BATCH], embeddings=base[s:s + BATCH], metadatas=metas[s:s + BATCH],
                     documents=docs[s:s + BATCH])
        acked = time.perf_counter() - t
        ingest = N / acked
        assert coll.count() == N
        if kind == "cairn":
            # Cairn acknowledges once the log holds a write and indexes in the background (compaction); queries
            # are measured once it has caught up, as Chroma's are (its add indexes before it returns).
            wait_indexed(port)
        indexed = N / (time.perf_counter() - t)
        coll.query(query_embeddings=queries[:1], n_results=10)  # warm
        result = {"server": kind, "n": N, "ingest_vectors_per_s": round(ingest),
                  "indexed_vectors_per_s": round(indexed)}
        for concurrency in (1, 8):
            latencies, lock = [], threading.Lock()

            def worker(w):
                mine = process_worker(port, queries, w, concurrency)
                with lock:
                    latencies.extend(mine)

            t = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.perf_counter() - t
            result[f"c{concurrency}_qps"] = round(len(latencies) / elapsed, 1)
            result[f"c{concurrency}_p99_ms"] = round(float(np.percentile(latencies, 99)) * 1000, 2)
        # The same 8-way load from 8 client processes: 8 threads of one Python process share its interpreter
        # lock, so their latencies measure the client as much as the server.
        with multiprocessing.get_context("fork").Pool(8) as pool:
            t = time.perf_counter()
            parts = pool.starmap(process_worker, [(port, queries, w, 8) for w in range(8)])
            elapsed = time.perf_counter() - t
        latencies = [x for part in parts for x in part]
        result["p8_qps"] = round(len(latencies) / elapsed, 1)
        result["p8_p99_ms"] = round(float(np.percentile(latencies, 99)) * 1000, 2)
        return result

    finally:
        stop(process, folder)


def stop(process, folder):
    """Stops a server started by start() and removes its data folder."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(folder, ignore_errors=True)



def process_worker(port, queries, w, concurrency):
    """Client `w` of `concurrency`: its share of the queries, one per call; returns each call's latency."""
    cc = client(port).get_collection("bench")
    mine = []
    for q in range(w, len(queries), concurrency):
        s = time.perf_counter()
        cc.query(query_embeddings=queries[q:q + 1], n_results=10, include=["distances"])
        mine.append(time.perf_counter() - s)
    return mine


def main():
    data = dataset.load()
    if os.environ.get("SERVER_BENCH_ONLY") == "cairn":  # profiling runs: Cairn alone, no comparison
        print(json.dumps(bench("cairn", 8471, data)))
        return
    results = [bench("cairn", 8471, data), bench("chroma", 8472, data)]
    for r in results:
        print(json.dumps(r))
    cairn, chroma = results
    print(f"summary (N={N}, {QUERIES} queries, load {os.getloadavg()[0]:.1f}): "
          f"ingest {cairn['ingest_vectors_per_s']}/{chroma['ingest_vectors_per_s']} vec/s "
          f"({cairn['ingest_vectors_per_s'] / chroma['ingest_vectors_per_s']:.2f}x), until indexed "
          f"{cairn['indexed_vectors_per_s']}/{chroma['indexed_vectors_per_s']} vec/s "
          f"({cairn['indexed_vectors_per_s'] / chroma['indexed_vectors_per_s']:.2f}x); "
          + "; ".join(f"c{c} QPS {cairn[f'c{c}_qps']}/{chroma[f'c{c}_qps']} "
                      f"({cairn[f'c{c}_qps'] / chroma[f'c{c}_qps']:.2f}x), p99 {cairn[f'c{c}_p99_ms']}/"
                      f"{chroma[f'c{c}_p99_ms']} ms" for c in (1, 8))
          + f"; 8 processes QPS {cairn['p8_qps']}/{chroma['p8_qps']} ({cairn['p8_qps'] / chroma['p8_qps']:.2f}x), "
          f"p99 {cairn['p8_p99_ms']}/{chroma['p8_p99_ms']} ms  (cairn/chroma)")


if __name__ == "__main__":
    main()
