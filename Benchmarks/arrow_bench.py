#!/usr/bin/env python3
"""Physical reference numbers: pyarrow IPC write/read, numpy brute-force L2, memory
bandwidth, local-disk sequential I/O, on the standard dataset (dataset.py, next to this file).
Run alone: `python3 Benchmarks/arrow_bench.py` -> JSON on stdout. Benchmarks/arrow_pyarrow.py reuses its batch
builder and I/O helpers for the side-by-side Arrow benchmark (run-arrow.sh).

Files go to $PEERS_ARROW_DIR (default <dataset cache>/arrow, i.e. /tmp/peers-data/arrow; removed at the end).
"cold" = the file's pages were
evicted with fsync + posix_fadvise(DONTNEED) (only that file; no global cache drop).
MB = 1e6 bytes, GB = 1e9 bytes; MiB = 2**20. IPC throughput is computed on the RecordBatch's
logical buffer size (RecordBatch.nbytes), not the (possibly compressed) file size.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # dataset.py
import dataset as ds  # noqa: E402

WORK = os.environ.get("PEERS_ARROW_DIR", os.path.join(ds.CACHE_DIR, "arrow"))
REPS = 5


def log(*a):
    print("[arrow_bench]", *a, file=sys.stderr, flush=True)


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def med(xs):
    return float(np.median(xs))


def make_batch(d, target_bytes):
    base, cluster = d["base"], d["cluster"]
    dim = base.shape[1]
    per_row = 4 + dim * 4 + 8 + len("id000000") + len("doc 000000 cluster 00")
    rows = int(target_bytes / per_row)
    idx = np.arange(rows) % base.shape[0]
    keys = pa.array([f"id{i:06d}" for i in range(rows)], pa.utf8())
    idcol = pa.array(np.arange(rows, dtype=np.uint32))
    flat = pa.array(base[idx].reshape(-1))
    emb = pa.FixedSizeListArray.from_arrays(flat, dim)
    docs = pa.array([f"doc {i} cluster {int(cluster[j])}" for i, j in enumerate(idx)], pa.utf8())
    return pa.RecordBatch.from_arrays([keys, idcol, emb, docs],
                                      names=["key", "id", "embedding", "document"])


def write_ipc(rb, path, compression, fsync):
    opts = ipc.IpcWriteOptions(compression=compression)
    t = time.perf_counter()
    with pa.OSFile(path, "wb") as f:
        with ipc.new_file(f, rb.schema, options=opts) as w:
            w.write_batch(rb)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    return time.perf_counter() - t


def touch_table(tbl):
    """Touch every 4 KiB page of every buffer (forces mmap page-in)."""
    s = 0
    for col in tbl.columns:
        for ch in col.chunks:
            for b in ch.buffers():
                if b is not None and b.size:
                    s += int(np.frombuffer(b, dtype=np.uint8)[::4096].sum())
    return s


def read_mmap(path, touch):
    t = time.perf_counter()
    with pa.memory_map(path, "r") as src:
        tbl = ipc.open_file(src).read_all()
        if touch:
            touch_table(tbl)
    return time.perf_counter() - t


def read_plain(path):
    t = time.perf_counter()
    with pa.OSFile(path, "rb") as src:
        tbl = ipc.open_file(src).read_all()
    dt = time.perf_counter() - t
    assert tbl.num_rows > 0
    return dt


def ipc_bench(d):
    os.makedirs(WORK, exist_ok=True)
    out = {}
    for label, target in (("8MiB", 8 * 2**20), ("64MiB", 64 * 2**20)):
        rb = make_batch(d, target)
        nb = rb.nbytes
        for comp in (None, "zstd"):
            key = f"{label}_{comp or 'uncompressed'}"
            path = os.path.join(WORK, key + ".arrow")
            r = {"rows": rb.num_rows, "batch_bytes": nb}
            w_nosync = [write_ipc(rb, path, comp, False) for _ in range(REPS)]
            w_sync = [write_ipc(rb, path, comp, True) for _ in range(REPS)]
            r["file_bytes"] = os.path.getsize(path)
            r["write_MBps_page_cache"] = nb / med(w_nosync) / 1e6
            r["write_MBps_fsync"] = nb / med(w_sync) / 1e6
            hot_mm = [read_mmap(path, False) for _ in range(REPS)]
            hot_mm_t = [read_mmap(path, True) for _ in range(REPS)]
            hot_pl = [read_plain(path) for _ in range(REPS)]
            cold_mm_t, cold_pl = [], []
            for _ in range(3):
                evict(path)
                cold_mm_t.append(read_mmap(path, True))
                evict(path)
                cold_pl.append(read_plain(path))
            r["read_MBps_mmap_hot_zero_copy"] = nb / med(hot_mm) / 1e6
            r["read_ms_mmap_hot_zero_copy"] = med(hot_mm) * 1e3
            r["read_MBps_mmap_hot_touch_all_pages"] = nb / med(hot_mm_t) / 1e6
            r["read_MBps_plain_hot"] = nb / med(hot_pl) / 1e6
            r["read_MBps_mmap_cold_touch_all_pages"] = nb / med(cold_mm_t) / 1e6
            r["read_MBps_plain_cold"] = nb / med(cold_pl) / 1e6
            out[key] = r
            log(key, json.dumps(r))
            os.remove(path)
    return out


def brute_force(d):
    base, queries = d["base"], d["queries"]
    norms = (base * base).sum(1)
    res = {}
    naive, mm, mm_topk, batch = [], [], [], []
    for i in range(50):
        q = queries[i]
        t = time.perf_counter()
        dd = ((base - q) ** 2).sum(1)
        np.argpartition(dd, 10)[:10]
        naive.append(time.perf_counter() - t)
        t = time.perf_counter()
        dd = norms - 2.0 * (base @ q) + float(q @ q)
        mm.append(time.perf_counter() - t)
        top = np.argpartition(dd, 10)[:10]
        top[np.argsort(dd[top])]
        mm_topk.append(time.perf_counter() - t)
    for _ in range(3):
        t = time.perf_counter()
        dd = norms[None, :] - 2.0 * (queries[:100] @ base.T)
        np.argpartition(dd, 10, axis=1)[:, :10]
        batch.append(time.perf_counter() - t)
    res["n"] = int(base.shape[0])
    res["dim"] = int(base.shape[1])
    res["one_query_naive_diff_sq_sum_topk_ms"] = med(naive) * 1e3
    res["one_query_matvec_precomputed_norms_ms"] = med(mm) * 1e3
    res["one_query_matvec_plus_top10_ms"] = med(mm_topk) * 1e3
    res["batch100_gemm_plus_top10_ms_per_query"] = med(batch) * 1e3 / 100
    res["scan_GBps_matvec"] = base.nbytes / med(mm) / 1e9
    return res


def mem_bandwidth():
    n = 2**30 // 8
    src = np.ones(n, dtype=np.float64)
    dst = np.empty_like(src)
    dst.fill(0)
    cp, rd = [], []
    for _ in range(5):
        t = time.perf_counter()
        np.copyto(dst, src)
        cp.append(time.perf_counter() - t)
        t = time.perf_counter()
        src.sum()
        rd.append(time.perf_counter() - t)
    return {"array_bytes": int(src.nbytes),
            "copy_GBps_best": src.nbytes / min(cp) / 1e9,
            "copy_GBps_median": src.nbytes / med(cp) / 1e9,
            "note_copy": "bytes copied per second (read+write traffic is 2x)",
            "read_sum_GBps_best": src.nbytes / min(rd) / 1e9}


def disk_bench():
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "disk.bin")
    total = 2**30
    chunk = os.urandom(8 * 2**20)
    r = {"bytes": total, "chunk_bytes": len(chunk), "dir": WORK}
    w = []
    for _ in range(2):
        t = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for _ in range(total // len(chunk)):
            os.write(fd, chunk)
        os.fsync(fd)
        os.close(fd)
        w.append(time.perf_counter() - t)
    r["seq_write_fsync_MBps"] = total / med(w) / 1e6

    def rd():
        t = time.perf_counter()
        with open(path, "rb", buffering=0) as f:
            buf = bytearray(len(chunk))
            while f.readinto(buf):
                pass
        return time.perf_counter() - t
    cold = []
    for _ in range(2):
        evict(path)
        cold.append(rd())
    hot = [rd() for _ in range(2)]
    r["seq_read_cold_MBps"] = total / med(cold) / 1e6
    r["seq_read_hot_page_cache_MBps"] = total / med(hot) / 1e6
    os.remove(path)
    # cross-check with dd (fdatasync), 512 MiB
    try:
        p = subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=8M", "count=64",
                            "conv=fdatasync"], capture_output=True, text=True)
        r["dd_write_fdatasync_512MiB"] = p.stderr.strip().splitlines()[-1]
        evict(path)
        p = subprocess.run(["dd", f"if={path}", "of=/dev/null", "bs=8M"],
                           capture_output=True, text=True)
        r["dd_read_cold_512MiB"] = p.stderr.strip().splitlines()[-1]
    finally:
        if os.path.exists(path):
            os.remove(path)
    return r


def main():
    d = ds.load()
    out = {"pyarrow_version": pa.__version__, "numpy_version": np.__version__}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        out["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        pass
    log("brute force ...")
    out["numpy_bruteforce_l2"] = brute_force(d)
    log(json.dumps(out["numpy_bruteforce_l2"]))
    log("memory bandwidth ...")
    out["memory_bandwidth"] = mem_bandwidth()
    log(json.dumps(out["memory_bandwidth"]))
    log("ipc ...")
    out["arrow_ipc"] = ipc_bench(d)
    log("disk ...")
    out["disk_tmp"] = disk_bench()
    log(json.dumps(out["disk_tmp"]))
    try:
        os.rmdir(WORK)
    except OSError:
        pass
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
