#!/usr/bin/env python3
"""pyarrow side of the Arrow benchmark, and the comparison table.

`arrow_pyarrow.py prepare DIR`: builds the 8 MiB and 64 MiB batches exactly as Benchmarks/arrow_bench.py
does (same dataset, same columns), writes them to DIR/source_*.arrow for ArrowBench, then measures pyarrow
on them (write, open, read, scan of the embedding column) and prints JSON.
`arrow_pyarrow.py compare PY.json[,PY2.json…] SWIFT.json[,SWIFT2.json…]`: prints the side-by-side table with
Cairn/pyarrow ratios; with several rounds (run alternately, to spread the load of a shared machine evenly),
each side's best value per measure is kept.
"""
import json
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # arrow_bench.py and dataset.py, next to this file
import arrow_bench as ab  # noqa: E402
import dataset as ds  # noqa: E402

REPS = 5


def med(xs):
    return float(np.median(xs))


def timed(n, fn):
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        xs.append(time.perf_counter() - t)
    return med(xs)


def prepare(work):
    os.makedirs(work, exist_ok=True)
    d = ds.load()
    out = {"pyarrow_version": pa.__version__, "numpy_version": np.__version__}
    q = np.array([(i % 7) * 0.1 for i in range(128)], dtype=np.float32)
    for label, target in (("8MiB", 8 * 2 ** 20), ("64MiB", 64 * 2 ** 20)):
        rb = ab.make_batch(d, target)
        nb = rb.nbytes
        with ipc.new_file(os.path.join(work, f"source_{label}.arrow"), rb.schema) as w:
            w.write_batch(rb)
        for comp in (None, "zstd"):
            key = f"{label}_{comp or 'uncompressed'}"
            path = os.path.join(work, f"pyarrow_{key}.arrow")
            r = {"rows": rb.num_rows, "batch_bytes": nb}
            w_nosync = [ab.write_ipc(rb, path, comp, False) for _ in range(REPS)]
            w_sync = [ab.write_ipc(rb, path, comp, True) for _ in range(REPS)]
            r["file_bytes"] = os.path.getsize(path)
            r["write_MBps_page_cache"] = nb / med(w_nosync) / 1e6
            r["write_MBps_fsync"] = nb / med(w_sync) / 1e6

            def open_only():
                with pa.memory_map(path, "r") as src:
                    ipc.open_file(src)

            def read_all():
                with pa.memory_map(path, "r") as src:
                    ipc.open_file(src).read_all()

            r["open_us"] = timed(21, open_only) * 1e6
            t = timed(21, read_all)
            r["read_open_batch_views_ms"] = t * 1e3
            r["read_MBps_open_batch_views"] = nb / t / 1e6
            r["read_MBps_plain_hot"] = nb / med([ab.read_plain(path) for _ in range(REPS)]) / 1e6
            with pa.memory_map(path, "r") as src:
                tbl = ipc.open_file(src).read_all()
                emb = tbl.column("embedding").combine_chunks()
                flat = np.asarray(emb.values)  # zero-copy numpy view of the float buffer
                mat = flat.reshape(-1, 128)
                emb_bytes = flat.nbytes
                r["scan_sum_embedding_GBps"] = emb_bytes / timed(9, lambda: flat.sum()) / 1e9
                r["scan_dot_embedding_GBps"] = emb_bytes / timed(9, lambda: mat @ q) / 1e9
                keys = tbl.column("key").combine_chunks()
                rng = np.random.default_rng(42)
                idx = rng.integers(0, len(keys), 100_000)

                def point():
                    s = 0
                    for i in idx:
                        s += len(keys[int(i)].as_buffer()) + int(emb[int(i)].values[0].as_py())
                    return s
                t0 = time.perf_counter()
                point()
                r["point_lookup_ns"] = (time.perf_counter() - t0) / len(idx) * 1e9
                del tbl, emb, flat, mat, keys

            def cold_scan():
                ab.evict(path)
                t0 = time.perf_counter()
                with pa.memory_map(path, "r") as src:
                    tb = ipc.open_file(src).read_all()
                    np.asarray(tb.column("embedding").combine_chunks().values).sum()
                return time.perf_counter() - t0
            r["cold_open_and_scan_embedding_MBps"] = emb_bytes / med([cold_scan() for _ in range(3)]) / 1e6
            out[key] = r
            print("[arrow_pyarrow]", key, json.dumps(r), file=sys.stderr, flush=True)
            os.remove(path)
    return out


ROWS = [
    ("write_MBps_page_cache", "write MB/s (page cache)", True),
    ("write_MBps_fsync", "write MB/s (fsync)", True),
    ("open_us", "open (map + footer) µs", False),
    ("read_open_batch_views_ms", "open + batch + views ms", False),
    ("read_MBps_plain_hot", "read whole file, no mmap MB/s", True),
    ("scan_sum_embedding_GBps", "scan embedding (sum) GB/s", True),
    ("scan_dot_embedding_GBps", "scan embedding (dot/row) GB/s", True),
    ("cold_open_and_scan_embedding_MBps", "cold open + scan MB/s", True),
    ("point_lookup_ns", "point lookup key[i]+vec[i] ns", False),
    ("file_bytes", "file bytes", False),
]


def best_of(runs):
    """Per measure, the best value over rounds (max for rates, min for times and sizes)."""
    out = json.loads(json.dumps(runs[0]))
    higher = {k for k, _, h in ROWS if h}
    for r in runs[1:]:
        for key, vals in r.items():
            if not isinstance(vals, dict):
                continue
            for k, v in vals.items():
                if isinstance(v, (int, float)) and k in out[key]:
                    out[key][k] = max(out[key][k], v) if k in higher else min(out[key][k], v)
    return out


def compare(py_paths, sw_paths):
    pys, sws = [], []
    for p in py_paths.split(","):
        with open(p) as f:
            pys.append(json.load(f))
    for p in sw_paths.split(","):
        with open(p) as f:
            sws.append(json.load(f)["cairn_arrow_ipc"])
    py, sw = best_of(pys), best_of(sws)
    print(f"rounds: {len(pys)} pyarrow, {len(sws)} Cairn (best per measure)")
    print(f"Arrow IPC, Cairn vs pyarrow {py['pyarrow_version']} (same run, same data; ratio > 1 = Cairn better)")
    for key in sorted(sw, key=lambda k: (k.startswith("64"), k)):
        p, s = py[key], sw[key]
        print(f"\n{key}: {s['rows']} rows, {s['batch_bytes'] / 2**20:.1f} MiB logical")
        print(f"  {'measure':34s} {'Cairn':>12s} {'pyarrow':>12s} {'ratio':>8s}")
        for k, name, higher in ROWS:
            a, b = s.get(k), p.get(k)
            if a is None or b is None:
                continue
            ratio = (a / b) if higher else (b / a if a else float("inf"))
            print(f"  {name:34s} {a:12.2f} {b:12.2f} {ratio:8.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "prepare":
        print(json.dumps(prepare(sys.argv[2]), indent=1))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
