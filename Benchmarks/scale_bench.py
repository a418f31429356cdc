"""Scale: SCALE_N (1,000,000) vectors of SCALE_DIM (128) dimensions from Benchmarks/dataset.py (the standard recipe at
that size), in `cairn serve` as an HNSW and as a SPANN collection, beside chromadb 1.5.9 embedded, in one run:

1. ingest: batches of SCALE_BATCH (5,000) from SCALE_INGEST_THREADS (4) client threads, vectors only (ids
   "id{i:06d}", no metadata or documents); vectors/s as acknowledged;
2. time until indexed: Cairn acknowledges once its log holds a write and indexes in the background: polled until
   the collection's `get_indexing_status()` has no unindexed op and all N indexed, and its /metrics show no
   compaction pending or running (time after the last acknowledged add, and from the first add). Embedded Chroma
   indexes inside `add` (nothing to wait for: 0);
3. RSS (VmRSS, and VmHWM: the peak) of the server (Chroma: of the process running it, the dataset memory-mapped),
   after indexing and after the queries; bytes on the store (Cairn: the bucket prefix, by object kind, then after
   `cairn gc --min-age 0`, i.e. once compacted logs and replaced versions are collected; Chroma: its folder);
4. queries: the first SCALE_QUERIES (1,000) of the dataset's, k=10, swept over the search width (HNSW
   `ef_search` in SCALE_EF, SPANN `search_nprobe` in SCALE_NPROBE, through `collection.modify(configuration=…)`):
   recall@10 against the exact ground truth, p50/p99 one query at a time, QPS from SCALE_QUERY_THREADS (4) client
   threads; per index the cheapest width reaching recall 0.95 and 0.99;
5. Cairn, cold: `cairn serve` started again on the same prefix through Benchmarks/latency_proxy.py (SCALE_DELAY_MS
   added per request, each connection paced as one S3 stream), with a new catalog file (rebuilt from the bucket)
   and no disk cache; the first query's latency and the GETs and bytes it made the server fetch (its /metrics), as
   a share of the collection's bytes; then SCALE_QUERIES warm queries at the width reaching recall 0.95.

Cairn stores in the local S3 server throughout (ingest without the proxy, cold part through it). SCALE_ONLY picks
engines (comma-separated, default "cairn-hnsw,cairn-spann,chroma"); SCALE_COLD=0 skips step 5. Until SPANN is wired
into collections a `spann` collection behaves as HNSW (the table says which index the server reported).
Run by Benchmarks/run-scale.sh (which starts the S3 server and the proxy) with .venv-chroma's python; progress on
stderr every ~10 s; one JSON object per engine, a table, and a last JSON line with every figure.
`scale_bench.py --chroma` is the child process that measures Chroma (its JSON on stdout).
"""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import disk_bench  # noqa: E402
import server_bench  # noqa: E402

N = int(os.environ.get("SCALE_N", "1000000"))
DIM = int(os.environ.get("SCALE_DIM", "128"))
ONLY = os.environ.get("SCALE_ONLY", "cairn-hnsw,cairn-spann,chroma").split(",")
BATCH = int(os.environ.get("SCALE_BATCH", "5000"))
INGEST_THREADS = int(os.environ.get("SCALE_INGEST_THREADS", "4"))
QUERY_THREADS = int(os.environ.get("SCALE_QUERY_THREADS", "4"))
QUERIES = min(int(os.environ.get("SCALE_QUERIES", "1000")), dataset.NQ)
WIDTHS = {"hnsw": [int(x) for x in os.environ.get("SCALE_EF", "16,32,64,128,256,512").split(",")],
          "spann": [int(x) for x in os.environ.get("SCALE_NPROBE", "8,16,32,64,128,256").split(",")]}
WIDTH_KEY = {"hnsw": "ef_search", "spann": "search_nprobe"}
COLD = os.environ.get("SCALE_COLD", "1") != "0"
INDEX_TIMEOUT = float(os.environ.get("SCALE_INDEX_TIMEOUT", str(4 * 3600)))
PORT = int(os.environ.get("SCALE_PORT", "8935"))
RECALLS = (0.95, 0.99)
K = 10


def log(message):
    print(message, file=sys.stderr, flush=True)


def mib(b):
    return round(b / 2**20, 1)


class Progress:
    """Prints `label: done/total, rate, time left` on stderr every ~10 s while running (done() is polled then;
    detail(), when given, adds its text)."""

    def __init__(self, label, total, done, detail=None):
        self.label, self.total, self.done, self.detail = label, total, done, detail
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(10):
            try:
                done = self.done()
                detail = f"; {self.detail()}" if self.detail else ""
            except Exception as error:  # noqa: BLE001 - a poll failing must not end the run
                log(f"  {self.label}: ({error})")
                continue
            elapsed = time.perf_counter() - self.started
            rate = (done - self.initial) / elapsed if elapsed else 0
            left = f"{(self.total - done) / rate:.0f} s left" if rate > 0 else "time left unknown"
            log(f"  {self.label}: {done:,}/{self.total:,} after {elapsed:.0f} s ({rate:,.0f}/s, {left}{detail})")

    def __enter__(self):
        self.started = time.perf_counter()
        self.initial = self.done()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class FileRows:
    """The rows of a float32 .npy matrix, read from its file when sliced (np.fromfile): a memory map's touched
    pages would count in the RSS of the process that holds it (Chroma's, here) as if they were its own."""

    def __init__(self, memmap):
        self.path, self.offset, self.shape = memmap.filename, memmap.offset, memmap.shape
        assert memmap.dtype == np.float32 and memmap.flags.c_contiguous

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        start, stop, _ = rows.indices(self.shape[0])
        return np.fromfile(self.path, dtype=np.float32, count=(stop - start) * self.shape[1],
                           offset=self.offset + start * self.shape[1] * 4).reshape(-1, self.shape[1])


def ingest(handles, base):
    """Adds base[0:N] in batches of BATCH, one handle per client thread; a failed add (e.g. 429 while the server's
    backlog is full) is retried, as a client would. Returns vectors/s as acknowledged and the time of the last
    acknowledgement."""
    n = len(base)
    starts = iter(range(0, n, BATCH))
    lock = threading.Lock()
    acked = [0]
    retries = [0]

    def worker(coll):
        while True:
            with lock:
                start = next(starts, None)
            if start is None:
                return
            stop = min(n, start + BATCH)
            for attempt in range(10):
                try:
                    coll.add(ids=[f"id{i:06d}" for i in range(start, stop)], embeddings=base[start:stop])
                    break
                except Exception as error:  # noqa: BLE001 - the client raises several types for a 429/500
                    if attempt == 9:
                        raise
                    with lock:
                        retries[0] += 1
                    log(f"  add {start}..{stop}: {str(error)[:120]}; retrying")
                    time.sleep(min(30, 2 ** attempt))
            with lock:
                acked[0] += stop - start

    started = time.perf_counter()
    with Progress("ingest", n, lambda: acked[0]):
        with concurrent.futures.ThreadPoolExecutor(len(handles)) as pool:
            list(pool.map(worker, handles))
    finished = time.perf_counter()
    return {"ingest_s": round(finished - started, 1), "ingest_vectors_per_s": round(n / (finished - started)),
            "ingest_retries": retries[0], "batch": BATCH, "ingest_threads": len(handles)}, started, finished


def ranks(result):
    return [int(x[2:]) for x in result["ids"][0]]


def measure(handles, queries, gt):
    """recall@10 and p50/p99 one query at a time (first handle), then QPS from one thread per handle."""
    first = handles[0]
    found, latencies = [], []
    for q in range(len(queries)):
        t = time.perf_counter()
        found.append(ranks(first.query(query_embeddings=queries[q:q + 1], n_results=K, include=["distances"])))
        latencies.append(time.perf_counter() - t)

    def worker(w):
        for q in range(w, len(queries), len(handles)):
            handles[w].query(query_embeddings=queries[q:q + 1], n_results=K, include=["distances"])

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(handles)) as pool:
        list(pool.map(worker, range(len(handles))))
    qps = len(queries) / (time.perf_counter() - t)
    p = server_bench.percentiles(latencies)
    return {"recall": round(dataset.recall_at_k(found, gt), 4), "p50_ms": p["p50_ms"], "p99_ms": p["p99_ms"],
            "qps": round(qps, 1)}


def sweep(index, prepare, queries, gt):
    """measure() at each width of WIDTHS[index], on the handles prepare(width) returns once it set the width;
    warms up first."""
    rows = []
    for width in WIDTHS[index]:
        handles = prepare(width)
        for q in range(min(50, len(queries))):  # warm-up after the change (not measured)
            handles[0].query(query_embeddings=queries[q:q + 1], n_results=K, include=["distances"])
        row = dict(width=width, **measure(handles, queries, gt))
        log(f"  {WIDTH_KEY[index]}={width}: recall {row['recall']}, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
            f"{row['qps']} QPS")
        rows.append(row)
    return rows


def cheapest(rows, recall):
    """The first (smallest) width of a sweep reaching `recall`, or None."""
    return next((row for row in rows if row["recall"] >= recall), None)


def widths_reached(rows):
    return {f"at_recall_{r}": cheapest(rows, r) for r in RECALLS}


# ---------------------------------------------------------------------------------------------------------- Cairn


def set_width(coll, index, width):
    """collection.modify(configuration={index: {ef_search or search_nprobe: width}})."""
    try:
        coll.modify(configuration={index: {WIDTH_KEY[index]: width}})
    except ValueError as error:
        # The client updates its own copy of the collection's schema once the server has accepted the change; for
        # a spann collection whose server reports an HNSW schema (SPANN not wired in yet) that step refuses.
        if "schema has HNSW" not in str(error):
            raise


def store_url(prefix, proxied=False):
    """The bucket prefix as `cairn serve --store` takes it (run-scale.sh gives the URLs, with {prefix} in them)."""
    return os.environ["SCALE_PROXY_URL" if proxied else "SCALE_S3_URL"].replace("{prefix}", prefix)


def serve(url, catalog, out):
    cmd = [os.environ["CAIRN_BIN"], "serve", "--store", url, "--catalog", catalog, "--port", str(PORT),
           "--log-level", "warning"] + os.environ.get("SCALE_SERVE_ARGS", "").split()
    process = subprocess.Popen(cmd, stdout=out, stderr=out)
    server_bench.wait_port(PORT, deadline=600)
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def store_bytes(prefix):
    """Objects and bytes under the prefix, by kind (disk_bench.cairn_part), from `cairn store ls --recursive`."""
    bucket_url = store_url(prefix).split("?")[0]
    listing = subprocess.run([os.environ["CAIRN_BIN"], "store", "ls", "--recursive", bucket_url],
                             check=True, capture_output=True, text=True).stdout
    by_kind, objects = {}, 0
    for line in listing.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2].isdigit():
            part = disk_bench.cairn_part(parts[3])
            by_kind[part] = by_kind.get(part, 0) + int(parts[2])
            objects += 1
    total = sum(by_kind.values())
    return {"objects": objects, "bytes": total, "collection_bytes": total - by_kind.get("catalog", 0),
            "by_kind": by_kind}


def wait_indexed(coll, last_ack):
    """Until the collection has all N indexed, nothing unindexed, and no compaction pending or running."""
    status = [None]

    def indexed():
        status[0] = coll.get_indexing_status()
        return status[0].num_indexed_ops

    def backlog():
        g = server_bench.gauges(PORT)
        return (f"compaction: {g.get('cairn_compaction_pending_records', 0):,.0f} records pending, "
                f"{mib(g.get('cairn_compaction_backlog_bytes', 0))} MiB of backlog, "
                f"{g.get('cairn_compactions_running', 0):.0f} running")

    with Progress("indexed", N, indexed, backlog):
        while True:
            indexed()
            if (status[0].num_unindexed_ops == 0 and status[0].num_indexed_ops >= N
                    and server_bench.compaction_idle(PORT)):
                break
            if time.perf_counter() - last_ack > INDEX_TIMEOUT:
                raise SystemExit(f"not indexed after {INDEX_TIMEOUT:.0f} s: {status[0]}")
            time.sleep(0.5)
    return time.perf_counter()


def cairn(index, data, gt, out):
    """One `cairn serve` on its own bucket prefix holding one collection of the given index; see the docstring."""
    prefix = f"scale-{index}"
    work = tempfile.mkdtemp(prefix=f"scale-{index}-")
    result = {"engine": f"cairn-{index}", "n": N, "dim": DIM, "store": "local S3 server (run-scale.sh), "
              f"prefix {prefix}"}
    base, queries = data["base"], data["queries"][:QUERIES]
    try:
        log(f"== cairn-{index}: ingest {N:,} x {DIM}")
        process = serve(store_url(prefix), os.path.join(work, "catalog.sqlite3"), out)
        try:
            client = server_bench.client(PORT)
            # SCALE_SPANN='{"split_threshold": 200, …}' adds parameters to the SPANN collection's configuration.
            extra = json.loads(os.environ.get("SCALE_SPANN", "{}")) if index == "spann" else {}
            coll = client.create_collection(
                "scale", configuration={index: {"space": "l2", **extra}}, embedding_function=None)
            result["configuration_reported"] = coll.configuration_json
            result["index_reported"] = "spann" if coll.configuration_json.get("spann") else "hnsw"
            handles = [server_bench.client(PORT).get_collection("scale") for _ in range(INGEST_THREADS)]
            figures, first_add, last_ack = ingest(handles, base)
            result.update(figures)
            log(f"  ingest {figures['ingest_vectors_per_s']:,} vectors/s; waiting until indexed")
            indexed_at = wait_indexed(coll, last_ack)
            result["indexed_after_last_add_s"] = round(indexed_at - last_ack, 1)
            result["until_indexed_s"] = round(indexed_at - first_add, 1)
            result["indexed_vectors_per_s"] = round(N / (indexed_at - first_add))
            assert coll.count() == N, coll.count()
            result["rss_indexed_mib"] = mib(server_bench.rss_bytes(process.pid))
            log(f"  indexed {result['indexed_after_last_add_s']} s after the last add; "
                f"RSS {result['rss_indexed_mib']} MiB; queries")
            handles = [server_bench.client(PORT).get_collection("scale") for _ in range(QUERY_THREADS)]

            def prepare(width):
                set_width(coll, index, width)
                return handles

            rows = sweep(index, prepare, queries, gt)
            result["sweep"] = rows
            result.update(widths_reached(rows))
            result["rss_after_queries_mib"] = mib(server_bench.rss_bytes(process.pid))
            result["rss_peak_mib"] = mib(server_bench.rss_bytes(process.pid, "VmHWM"))
            # The cold node's width: the cheapest reaching 0.95 (else the widest), kept in the collection.
            chosen = (result["at_recall_0.95"] or rows[-1])["width"]
            set_width(coll, index, chosen)
            result["cold_width"] = chosen
        finally:
            stop(process)
        result["store_compacted"] = store_bytes(prefix)
        gc = subprocess.run([os.environ["CAIRN_BIN"], "gc", store_url(prefix), "--catalog",
                             os.path.join(work, "catalog.sqlite3"), "--min-age", "0", "--quiet"],
                            capture_output=True, text=True)
        if gc.returncode != 0:
            out.write(gc.stderr)
            out.flush()
            said = [line for line in gc.stderr.splitlines() if "rror" in line][:2] or gc.stderr.splitlines()[:2]
            log(f"  cairn gc failed ({gc.returncode}; its output is in the serve log): " + " / ".join(said))
            result["gc_failed"] = said
        result["store_after_gc"] = store_bytes(prefix)
        log(f"  on the store: {mib(result['store_compacted']['bytes'])} MiB compacted, "
            f"{mib(result['store_after_gc']['bytes'])} MiB after gc")
        if COLD:
            result["cold"] = cold(index, prefix, work, queries, gt, result, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def proxy_stats():
    """The proxy's request and byte counts since its last reset (SIGUSR2 makes it write them)."""
    path = os.environ["SCALE_PROXY_STATS"]
    if os.path.exists(path):
        os.remove(path)
    os.kill(int(os.environ["SCALE_PROXY_PID"]), signal.SIGUSR2)
    for _ in range(50):
        if os.path.exists(path):
            try:
                return json.load(open(path))
            except ValueError:
                pass
        time.sleep(0.1)
    return {}


def cold(index, prefix, work, queries, gt, result, out):
    """A new node (catalog rebuilt from the bucket, no disk cache) through the proxy: first query, then warm."""
    log(f"== cairn-{index}: cold node through the proxy ({os.environ.get('SCALE_DELAY_MS', '?')} ms per request, "
        f"streams paced to {os.environ.get('SCALE_STREAM_MBPS', '?')} MB/s)")
    os.kill(int(os.environ["SCALE_PROXY_PID"]), signal.SIGUSR1)  # reset the proxy's counters
    started = time.perf_counter()
    process = serve(store_url(prefix, proxied=True), os.path.join(work, "cold-catalog.sqlite3"), out)
    try:
        up = time.perf_counter()
        at_start = server_bench.object_store_counts(PORT)
        client = server_bench.client(PORT)
        t = time.perf_counter()
        coll = client.get_collection("scale")
        opened = time.perf_counter()
        at_open = server_bench.object_store_counts(PORT)
        first = coll.query(query_embeddings=queries[:1], n_results=K, include=["distances"])
        answered = time.perf_counter()
        at_first = server_bench.object_store_counts(PORT)
        proxy = proxy_stats()
        collection_bytes = result["store_after_gc"]["collection_bytes"] or 1
        first_bytes = at_first["read_bytes"] - at_open["read_bytes"]
        all_bytes = at_first["read_bytes"]
        cold_result = {
            "start_s": round(up - started, 2), "open_ms": round((opened - t) * 1000, 1),
            "first_query_ms": round((answered - opened) * 1000, 1),
            "first_query_gets": int(at_first.get("get", 0) - at_open.get("get", 0)),
            "first_query_read_bytes": int(first_bytes),
            "first_query_share": round(first_bytes / collection_bytes, 4),
            "first_query_recall": round(dataset.recall_at_k([ranks(first)], gt[:1]), 2),
            "start_gets": int(at_start.get("get", 0)), "start_read_bytes": int(at_start["read_bytes"]),
            "open_gets": int(at_open.get("get", 0) - at_start.get("get", 0)),
            "open_read_bytes": int(at_open["read_bytes"] - at_start["read_bytes"]),
            "total_requests": {k: int(v) for k, v in at_first.items() if k not in ("read_bytes", "written_bytes")},
            "total_read_bytes": int(all_bytes), "total_share": round(all_bytes / collection_bytes, 4),
            "collection_bytes": collection_bytes, "proxy": proxy,
            "configuration_on_cold_node": {k: v for k, v in coll.configuration_json.items() if k in ("hnsw", "spann")},
        }
        log(f"  first query {cold_result['first_query_ms']} ms: {cold_result['first_query_gets']} GETs, "
            f"{mib(first_bytes)} MiB ({cold_result['first_query_share']:.2%} of {mib(collection_bytes)} MiB); "
            f"start {cold_result['start_s']} s, open {cold_result['open_ms']} ms")
        set_width(coll, index, result["cold_width"])
        before = server_bench.object_store_counts(PORT)
        found, latencies = [], []
        for q in range(len(queries)):
            t = time.perf_counter()
            found.append(ranks(coll.query(query_embeddings=queries[q:q + 1], n_results=K, include=["distances"])))
            latencies.append(time.perf_counter() - t)
        after = server_bench.object_store_counts(PORT)
        p = server_bench.percentiles(latencies)
        cold_result["warm"] = {"width": result["cold_width"], "queries": len(queries),
                               "recall": round(dataset.recall_at_k(found, gt), 4), "p50_ms": p["p50_ms"],
                               "p99_ms": p["p99_ms"], "gets": int(after.get("get", 0) - before.get("get", 0)),
                               "read_bytes": int(after["read_bytes"] - before["read_bytes"])}
        cold_result["rss_mib"] = mib(server_bench.rss_bytes(process.pid))
        log(f"  then warm at {WIDTH_KEY[index]}={result['cold_width']}: p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, "
            f"recall {cold_result['warm']['recall']}")
        return cold_result
    finally:
        stop(process)


# --------------------------------------------------------------------------------------------------------- Chroma


def chroma_child():
    """chromadb 1.5.9 embedded in this (child) process: ingest, bytes on disk, RSS, the ef_search sweep (the client
    opened anew at each width)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings
    data = dataset.load(N, DIM, mmap=True)
    gt = dataset.ground_truth(data, N, DIM)[:QUERIES]
    base, queries = FileRows(data["base"]), np.array(data["queries"][:QUERIES])
    del data
    folder = tempfile.mkdtemp(prefix="scale-chroma-")
    result = {"engine": "chroma", "n": N, "dim": DIM, "chromadb": chromadb.__version__,
              "store": f"PersistentClient in {folder} (embedded, same process)",
              "rss_before_client_mib": mib(server_bench.rss_bytes("self"))}
    try:
        client = chromadb.PersistentClient(path=folder, settings=Settings(anonymized_telemetry=False))
        coll = client.create_collection("scale", configuration={"hnsw": {"space": "l2"}}, embedding_function=None)
        result["max_batch_size"] = client.get_max_batch_size()
        log(f"== chroma {chromadb.__version__} embedded: ingest {N:,} x {DIM}")
        figures, first_add, last_ack = ingest([coll] * INGEST_THREADS, base)
        result.update(figures)
        result["indexed_after_last_add_s"] = 0.0  # embedded Chroma indexes inside add
        result["until_indexed_s"] = figures["ingest_s"]
        result["indexed_vectors_per_s"] = figures["ingest_vectors_per_s"]
        assert coll.count() == N, coll.count()
        result["rss_indexed_mib"] = mib(server_bench.rss_bytes("self"))
        result["rss_anon_indexed_mib"] = mib(server_bench.rss_bytes("self", "RssAnon"))
        result["disk"] = disk_bench.sizes(folder, "chroma")
        log(f"  ingest {figures['ingest_vectors_per_s']:,} vectors/s; RSS {result['rss_indexed_mib']} MiB; "
            f"{mib(result['disk']['total'])} MiB on disk; queries")
        opened = {"client": client, "coll": coll}
        del client, coll

        def prepare(width):
            opened["coll"].modify(configuration={"hnsw": {"ef_search": width}})
            # chromadb 1.5.9 embedded records the new ef_search but searches a loaded index with the one it was
            # loaded with, until the client is opened again: drop it and open the folder anew.
            opened.clear()
            SharedSystemClient.clear_system_cache()
            opened["client"] = chromadb.PersistentClient(path=folder, settings=Settings(anonymized_telemetry=False))
            opened["coll"] = opened["client"].get_collection("scale")
            return [opened["coll"]] * QUERY_THREADS

        rows = sweep("hnsw", prepare, queries, gt)
        result["sweep"] = rows
        result.update(widths_reached(rows))
        result["rss_after_queries_mib"] = mib(server_bench.rss_bytes("self"))
        result["rss_peak_mib"] = mib(server_bench.rss_bytes("self", "VmHWM"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def chroma():
    """Runs chroma_child() in a child process, so that its RSS is Chroma's (plus Python), not this driver's."""
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--chroma"], stdout=subprocess.PIPE,
                           text=True)
    if child.returncode != 0:
        raise SystemExit(f"the chroma child failed ({child.returncode})")
    return json.loads(child.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------------------- report


def cell(row):
    return f"{row['width']:>4} {row['qps']:>7,.0f} {row['p50_ms']:>6.2f} {row['p99_ms']:>6.2f}" if row else \
        f"{'not reached':>27}"


def table(results):
    lines = [f"scale: {N:,} x {DIM}-d, {QUERIES} queries k={K} (load {os.getloadavg()[0]:.1f}); "
             f"widths: HNSW ef_search, SPANN search_nprobe; p50/p99 one query at a time, QPS from "
             f"{QUERY_THREADS} threads",
             f"{'engine':<12} {'index':<6} {'ingest/s':>9} {'indexed+s':>9} {'RSS MiB':>8} {'peak':>7} "
             f"{'store MiB':>9} | {'recall>=0.95: width QPS p50 p99':>27} | {'recall>=0.99: width QPS p50 p99':>27}"]
    for r in results:
        stored = r["store_after_gc"]["bytes"] if "store_after_gc" in r else r["disk"]["total"]
        lines.append(f"{r['engine']:<12} {r.get('index_reported', 'hnsw'):<6} {r['ingest_vectors_per_s']:>9,} "
                     f"{r['indexed_after_last_add_s']:>9} {r['rss_after_queries_mib']:>8} {r['rss_peak_mib']:>7} "
                     f"{mib(stored):>9} | {cell(r['at_recall_0.95'])} | {cell(r['at_recall_0.99'])}")
    lines.append("store MiB: Cairn after `cairn gc --min-age 0` (compacted, before gc: "
                 + ", ".join(f"{r['engine']} {mib(r['store_compacted']['bytes'])}" for r in results
                             if "store_compacted" in r) + "); Chroma: its folder after the last add")
    for r in results:
        lines.append(f"{r['engine']} sweep (width recall p50 p99 QPS): " + "; ".join(
            f"{row['width']} {row['recall']:.4f} {row['p50_ms']} {row['p99_ms']} {row['qps']:.0f}"
            for row in r["sweep"]))
    for r in results:
        c = r.get("cold")
        if not c:
            continue
        lines.append(f"{r['engine']} cold (new node, {os.environ.get('SCALE_DELAY_MS', '?')} ms per request): "
                     f"first query {c['first_query_ms']} ms, {c['first_query_gets']} GETs, "
                     f"{mib(c['first_query_read_bytes'])} MiB = {c['first_query_share']:.2%} of the collection's "
                     f"{mib(c['collection_bytes'])} MiB (start + open + first query: {mib(c['total_read_bytes'])} "
                     f"MiB, {c['total_share']:.2%}); start {c['start_s']} s, open {c['open_ms']} ms; then warm at "
                     f"width {c['warm']['width']}: p50 {c['warm']['p50_ms']} ms, p99 {c['warm']['p99_ms']} ms, "
                     f"recall {c['warm']['recall']}")
    spann = next((r for r in results if r["engine"] == "cairn-spann"), None)
    if spann:
        checks = []
        if spann.get("cold"):
            c = spann["cold"]
            checks.append(f"cold first query {c['first_query_ms']} ms < 500 ms: "
                          f"{'yes' if c['first_query_ms'] < 500 else 'NO'}")
            checks.append(f"fetched {c['first_query_share']:.2%} < 5%: "
                          f"{'yes' if c['first_query_share'] < 0.05 else 'NO'}")
            warm = c["warm"]
            ok = warm["p50_ms"] < 5 and warm["recall"] >= 0.95
            checks.append(f"warm p50 {warm['p50_ms']} ms < 5 ms at recall {warm['recall']} >= 0.95: "
                          f"{'yes' if ok else 'NO'}")
        else:
            row = spann["at_recall_0.95"]
            checks.append(f"warm p50 < 5 ms at recall >= 0.95: "
                          f"{'yes' if row and row['p50_ms'] < 5 else 'NO'} ({cell(row).strip()})")
        lines.append(f"SPANN targets (index reported: {spann.get('index_reported')}): " + "; ".join(checks))
    return "\n".join(lines)


def main():
    unknown = set(ONLY) - {"cairn-hnsw", "cairn-spann", "chroma"}
    if unknown:
        raise SystemExit(f"SCALE_ONLY: unknown {sorted(unknown)} (cairn-hnsw, cairn-spann, chroma)")
    started = time.perf_counter()
    log(f"== dataset {N:,} x {DIM} (generated and cached in {dataset.CACHE_DIR} when missing)")
    data = dataset.load(N, DIM, mmap=True)
    gt = dataset.ground_truth(data, N, DIM)[:QUERIES]
    log(f"  ready in {time.perf_counter() - started:.0f} s")
    data = {"base": FileRows(data["base"]), "queries": np.array(data["queries"])}
    results = []
    with open(os.environ.get("SCALE_LOG", "/dev/null"), "a") as out:
        for index in ("hnsw", "spann"):
            if f"cairn-{index}" in ONLY:
                results.append(cairn(index, data, gt, out))
                print(json.dumps(results[-1]), flush=True)
    if "chroma" in ONLY:
        results.append(chroma())
        print(json.dumps(results[-1]), flush=True)
    print(table(results))
    print(json.dumps({"scale": {"n": N, "dim": DIM, "queries": QUERIES, "k": K, "batch": BATCH,
                                "delay_ms": os.environ.get("SCALE_DELAY_MS"),
                                "stream_mbps": os.environ.get("SCALE_STREAM_MBPS"),
                                "load_average": os.getloadavg()[0], "results": results,
                                "elapsed_s": round(time.perf_counter() - started)}}))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: servers stopped, folders gone
    if sys.argv[1:] == ["--chroma"]:
        print(json.dumps(chroma_child()), flush=True)
    else:
        main()
