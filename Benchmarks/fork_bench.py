"""Forks (issue 20): how long `collection.fork(new_name)` takes through the official client against `cairn serve`,
and how many store requests it makes, for collections of FORK_BENCH_SIZES vectors (default 1,000, 10,000 and
100,000 of the standard dataset, with metadata and documents, compacted first); beside it, what a Chroma user does
today to copy a collection — `get` every record with its embedding, metadata and document in pages of 1,000 and
`add` them to a new collection — timed through the same client on the same server.

Run by Benchmarks/run-fork.sh with .venv-chroma's python, against a folder (default) or an S3 bucket
(FORK_BENCH_STORE=s3://…, the server's credentials in the environment; with FORK_BENCH_PROXY_PID and
FORK_BENCH_PROXY_STATS, the S3 requests of each fork as Benchmarks/latency_proxy.py counts them on the wire). FORK_BENCH_FORKS forks per size (default
5; the median is reported). Prints one JSON object per size and a summary.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import chromadb
from chromadb.config import Settings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import server_bench  # noqa: E402

SIZES = [int(s) for s in os.environ.get("FORK_BENCH_SIZES", "1000,10000,100000").split(",")]
FORKS = int(os.environ.get("FORK_BENCH_FORKS", "5"))
STORE = os.environ.get("FORK_BENCH_STORE")
PORT = 8491
PAGE = 1000


PROXY_PID = int(os.environ.get("FORK_BENCH_PROXY_PID", "0"))  # Benchmarks/latency_proxy.py in front of S3
PROXY_STATS = os.environ.get("FORK_BENCH_PROXY_STATS")


def proxy_requests(reset=False):
    """S3 requests the proxy saw since its last reset (None without a proxy: a folder's are not counted)."""
    if not PROXY_PID:
        return None
    if reset:
        os.kill(PROXY_PID, signal.SIGUSR1)
        time.sleep(0.05)
        return 0
    if os.path.exists(PROXY_STATS):
        os.remove(PROXY_STATS)
    os.kill(PROXY_PID, signal.SIGUSR2)
    for _ in range(100):
        if os.path.exists(PROXY_STATS) and os.path.getsize(PROXY_STATS) > 0:
            return json.load(open(PROXY_STATS))["requests"]
        time.sleep(0.02)
    raise SystemExit("the proxy wrote no stats")


def wait_compacted(port, deadline=600):
    end = time.time() + deadline
    while not server_bench.compaction_idle(port):
        if time.time() > end:
            raise SystemExit("compaction did not finish")
        time.sleep(0.1)


def copy_through_client(client, source, name):
    """What a Chroma user does today: read every record, write it into a new collection."""
    target = client.create_collection(name, embedding_function=None)
    offset = 0
    while True:
        page = source.get(limit=PAGE, offset=offset, include=["embeddings", "metadatas", "documents"])
        if not page["ids"]:
            return target
        target.add(ids=page["ids"], embeddings=page["embeddings"], metadatas=page["metadatas"],
                   documents=page["documents"])
        offset += len(page["ids"])


def main():
    data = dataset.load()
    folder = tempfile.mkdtemp(prefix="fork-bench-")
    command = [os.environ["CAIRN_BIN"], "serve", "--port", str(PORT), "--log-level", "warning"]
    command += ["--store", STORE, "--catalog", os.path.join(folder, "catalog.sqlite3")] if STORE else ["--path", folder]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server_bench.wait_port(PORT)
    results = []
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=PORT, settings=Settings(anonymized_telemetry=False))
        for n in SIZES:
            source = client.create_collection(f"source-{n}", embedding_function=None)
            ids, metas = dataset.ids()[:n], dataset.metadatas(data["tagidx"])[:n]
            docs = dataset.documents(data["cluster"])[:n]
            for s in range(0, n, PAGE):
                source.add(ids=ids[s:s + PAGE], embeddings=data["base"][s:s + PAGE], metadatas=metas[s:s + PAGE],
                           documents=docs[s:s + PAGE])
            wait_compacted(PORT)
            times, requests = [], []
            for i in range(FORKS):
                proxy_requests(reset=True)
                start = time.perf_counter()
                fork = source.fork(f"fork-{n}-{i}")
                times.append(time.perf_counter() - start)
                requests.append(proxy_requests())
                assert fork.count() == n, f"fork of {n} holds {fork.count()}"
            start = time.perf_counter()
            copy = copy_through_client(client, source, f"copy-{n}")
            copy_s = time.perf_counter() - start
            assert copy.count() == n
            result = {"n": n, "fork_ms_median": round(statistics.median(times) * 1000, 2),
                      "fork_ms": [round(t * 1000, 2) for t in times],
                      "fork_store_requests_median": None if None in requests else statistics.median(requests),
                      "copy_through_client_s": round(copy_s, 3),
                      "copy_over_fork": round(copy_s / statistics.median(times), 1)}
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    where = STORE.split("?")[0] if STORE else "a folder"
    print(f"summary ({where}, load {os.getloadavg()[0]:.1f}): " + "; ".join(
        f"{r['n']:,} vectors: fork {r['fork_ms_median']} ms"
        + ("" if r["fork_store_requests_median"] is None else f", {r['fork_store_requests_median']:.0f} store requests")
        + "; "
        f"copy through the client {r['copy_through_client_s']} s ({r['copy_over_fork']}x)" for r in results))


if __name__ == "__main__":
    main()
