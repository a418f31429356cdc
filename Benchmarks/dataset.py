#!/usr/bin/env python3
"""The standard benchmark dataset: deterministic vectors, queries, metadata and exact ground truth.

Every benchmark that compares Cairn with another tool (chroma_bench.py, hnswlib_bench.py, arrow_bench.py,
index_reference.py, server_bench.py, and the Swift CollectionBench / IndexBench / `cairn bench index`) reads this
dataset, so that figures measured in different runs, and those in docs/benchmarks.md, stay comparable.

Contents:
- base: N = 100,000 vectors of DIM = 128 float32 from a Gaussian mixture of NCLUSTERS = 100 clusters: the centres
  are N(0, 1), a point is its centre + NOISE (0.3) * N(0, 1). One numpy PCG64 generator seeded SEED_BASE = 42
  draws, in this order: the centres, each vector's cluster, the noise, each vector's tag.
- queries: NQ = 1,000 vectors drawn the same way around the same centres, from a generator seeded SEED_QUERY = 43
  (cluster first, then noise).
- metadata of vector i: {"cat": i % 1000, "shard": i % 10, "tag": TAGS[tag of i]}; document "doc {i} cluster {c}";
  id "id{i:06d}" (see ids(), metadatas(), documents()).
- ground truth: the exact top K = 10 by squared L2, computed in float64 (exact_topk), also for a subset of the
  vectors (`allowed`, for filtered queries and deletes).

Other sizes (the scale benchmark's 1M x 128 and 1M x 384): the same recipe with another N and/or DIM, through the
`n` and `dim` arguments of load() and ground_truth() (or `dataset.py --n 1000000 --dim 384`); never from the
environment, so a variable set for one benchmark cannot change another's data. The base is drawn and written in
chunks of GEN_CHUNK rows (a PCG64 generator's normals come out the same whether drawn at once or piece by piece:
`--check` proves it on the standard size, which is drawn in several chunks too), straight into its .npy file, and
the ground truth of more than ONE_PASS_ROWS rows is computed over parts of the base (float64 per part, the top k
of each part merged by (distance, index)), so memory stays near the size of the base itself. Their files carry the
tag of their own parameters. With the same DIM the centres, and so the queries, are the standard ones.

The arrays are cached as NumPy .npy files (format 1.0: a short header, then little-endian data that the Swift
benchmarks read directly) in $PEERS_DATA_DIR (default /tmp/peers-data, never in the repository), named
`{base,cluster,tagidx,queries,gt_all}-1348f8727e.npy`, where the tag is a hash of the parameters; any other ground
truth computed through cached_gt(name, ...) is `gt_{name}-1348f8727e.npy`. Missing files are regenerated; the
bytes are always the same (Benchmarks/README.md lists their sha256).

    python3 Benchmarks/dataset.py            # builds the cache if missing, prints a JSON summary
    python3 Benchmarks/dataset.py --check    # regenerates in memory and compares with FILE_SHA256; exit 1 if not
    python3 Benchmarks/dataset.py --n 1000000 [--dim 384]   # another size: builds its cache, prints its summary
"""
import hashlib
import io
import json
import os
import sys
import time

import numpy as np

N = 100_000
NQ = 1_000
DIM = 128
NCLUSTERS = 100
NOISE = 0.3
SEED_BASE = 42
SEED_QUERY = 43
K = 10
TAGS = ("alpha", "beta", "gamma", "delta")
CACHE_DIR = os.environ.get("PEERS_DATA_DIR", "/tmp/peers-data")

# The cache's file names carry a hash of the parameters, so a change of parameters never reads stale files. This
# string (and so the tag "1348f8727e") must not change while the dataset stays the same: the Swift benchmarks
# (Benchmarks/Sources/CollectionBench/Dataset.swift, Sources/IndexBenchmarking/IndexBenchmark.swift) and
# the files already cached use it.
def params(n=N, dim=DIM):
    """The parameter string whose hash tags the cache files of the dataset of n vectors of dim dimensions."""
    return f"v1-N{n}-NQ{NQ}-D{dim}-C{NCLUSTERS}-s{NOISE}-seeds{SEED_BASE},{SEED_QUERY}"


def tag(n=N, dim=DIM):
    return hashlib.sha1(params(n, dim).encode()).hexdigest()[:10]


_PARAMS = params()
_TAG = tag()
GEN_CHUNK = 32_768  # rows of the base drawn at a time
ONE_PASS_ROWS = 262_144  # exact_topk over more rows than this works part by part

ARRAYS = ("base", "cluster", "tagidx", "queries")

# sha256 of each cache file as written by np.save (numpy 2.4.6; the .npy 1.0 format has not changed since numpy
# 1.0, and PCG64's streams are stable). `--check` compares a fresh generation with these.
FILE_SHA256 = {
    "base": "a5d6b79f6c3d19db25dc246c819a58274e4dcef159bd1775d2c44ac79c40f479",
    "cluster": "1feaeb68d6dab3eaf5c4f53d42d649c459bd42af097948e6f0f4727ff00d89c9",
    "tagidx": "05155e2bd10867a62898b985167328c70bcdd001e6d2ce83769dd9a8251b76d1",
    "queries": "fd9c63bdf835a94b60ce0a8333c917b2bb9d8928ec9fc6f3ac0e58e3a23ae15f",
    "gt_all": "586a7633627c40be1155a97dbfd39b1bd07ef6bd650e9eff2f47538724494541",
}


def _path(name, tag_=_TAG):
    os.makedirs(CACHE_DIR, exist_ok=True)
    return os.path.join(CACHE_DIR, f"{name}-{tag_}.npy")


def _save(path, array):
    """Writes through a temporary name, so a reader never sees half a file."""
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def generate(n=N, dim=DIM, base=None):
    """The four arrays, computed from the seeds: base (n, dim) float32, cluster (n,) int32, tagidx (n,) int8,
    queries (NQ, dim) float32. The order of the draws is part of the dataset's definition. The base is drawn
    GEN_CHUNK rows at a time into `base` when given (e.g. a memory-mapped .npy file), else into a new array."""
    rng = np.random.default_rng(SEED_BASE)
    centres = rng.standard_normal((NCLUSTERS, dim))
    cluster = rng.integers(0, NCLUSTERS, size=n)
    if base is None:
        base = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, GEN_CHUNK):
        stop = min(n, start + GEN_CHUNK)
        # float64 sum, rounded to float32 on assignment (as astype does)
        base[start:stop] = centres[cluster[start:stop]] + NOISE * rng.standard_normal((stop - start, dim))
    tagidx = rng.integers(0, len(TAGS), size=n)
    query_rng = np.random.default_rng(SEED_QUERY)
    query_cluster = query_rng.integers(0, NCLUSTERS, size=NQ)
    queries = (centres[query_cluster] + NOISE * query_rng.standard_normal((NQ, dim))).astype(np.float32)
    return {"base": base, "cluster": cluster.astype(np.int32), "tagidx": tagidx.astype(np.int8), "queries": queries}


def load(n=N, dim=DIM, mmap=False):
    """dict of base, queries, cluster, tagidx (see generate()) of the dataset of n x dim, from the cache, which is
    written if incomplete (the base straight into its file). mmap: the arrays memory-mapped read-only, not read."""
    tag_ = tag(n, dim)
    paths = {name: _path(name, tag_) for name in ARRAYS}
    if not all(os.path.exists(p) for p in paths.values()):
        tmp = paths["base"] + ".tmp.npy"
        base = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, dim))
        arrays = generate(n, dim, base=base)
        base.flush()
        del base, arrays["base"]
        os.replace(tmp, paths["base"])
        for name in ARRAYS[1:]:
            _save(paths[name], arrays[name])
    return {name: np.load(paths[name], mmap_mode="r" if mmap else None) for name in ARRAYS}


def ids(n=N):
    return [f"id{i:06d}" for i in range(n)]


def metadatas(tag_idx):
    return [{"cat": i % 1000, "shard": i % 10, "tag": TAGS[int(tag_idx[i])]} for i in range(len(tag_idx))]


def documents(cluster):
    return [f"doc {i} cluster {int(cluster[i])}" for i in range(len(cluster))]


def exact_topk(base, queries, k=K, allowed=None, chunk=100):
    """Exact top-k by squared L2 in float64, nearest first. allowed: optional int
    array of base indices to search among. Returns (len(queries), k) int64 base indices, -1 padded when fewer than
    k are allowed. The arithmetic (|x|^2 - 2 q.x + |q|^2, queries in chunks of 100) is part of the dataset: a
    different formula could order near-ties differently and change the ground-truth files. Over more than
    ONE_PASS_ROWS rows it works part by part (exact_topk_by_parts)."""
    if (base.shape[0] if allowed is None else len(allowed)) > ONE_PASS_ROWS:
        return exact_topk_by_parts(base, queries, k=k, allowed=allowed)
    rows = base if allowed is None else base[allowed]
    rows64 = rows.astype(np.float64)
    row_norms = (rows64 * rows64).sum(1)
    kk = min(k, rows.shape[0])
    out = np.full((queries.shape[0], k), -1, dtype=np.int64)
    for start in range(0, queries.shape[0], chunk):
        q = queries[start:start + chunk].astype(np.float64)
        dist = row_norms[None, :] - 2.0 * (q @ rows64.T) + (q * q).sum(1)[:, None]
        if kk < rows.shape[0]:
            candidates = np.argpartition(dist, kk - 1, axis=1)[:, :kk]
        else:
            candidates = np.tile(np.arange(rows.shape[0]), (q.shape[0], 1))
        order = np.argsort(np.take_along_axis(dist, candidates, 1), axis=1, kind="stable")
        top = np.take_along_axis(candidates, order, 1)
        out[start:start + chunk, :kk] = top if allowed is None else allowed[top]
    return out


def exact_topk_by_parts(base, queries, k=K, allowed=None, part=131_072, query_chunk=100):
    """exact_topk over a large base with memory near one part's: each part of `part` rows is converted to float64
    once, its squared L2 distances to `query_chunk` queries at a time computed as in exact_topk, and its top k
    merged with the best so far, ordered by (distance, index). Progress on stderr every ~10 s."""
    rows = np.arange(base.shape[0]) if allowed is None else np.asarray(allowed, dtype=np.int64)
    nq = queries.shape[0]
    kk = min(k, len(rows))
    q64 = queries.astype(np.float64)
    q_norms = (q64 * q64).sum(1)
    best_d = np.empty((nq, 0))
    best_i = np.empty((nq, 0), dtype=np.int64)
    started = shown = time.perf_counter()
    for start in range(0, len(rows), part):
        index = rows[start:start + part]
        rows64 = (base[start:start + part] if allowed is None else base[index]).astype(np.float64)
        row_norms = (rows64 * rows64).sum(1)
        m = min(kk, len(index))
        part_d, part_i = np.empty((nq, m)), np.empty((nq, m), dtype=np.int64)
        for q in range(0, nq, query_chunk):
            dist = row_norms[None, :] - 2.0 * (q64[q:q + query_chunk] @ rows64.T) + q_norms[q:q + query_chunk, None]
            top = np.argpartition(dist, m - 1, axis=1)[:, :m] if m < len(index) else np.tile(
                np.arange(len(index)), (dist.shape[0], 1))
            part_d[q:q + query_chunk] = np.take_along_axis(dist, top, 1)
            part_i[q:q + query_chunk] = index[top]
        all_d, all_i = np.concatenate([best_d, part_d], 1), np.concatenate([best_i, part_i], 1)
        order = np.lexsort((all_i, all_d), axis=-1)[:, :kk]
        best_d, best_i = np.take_along_axis(all_d, order, 1), np.take_along_axis(all_i, order, 1)
        now = time.perf_counter()
        if now - shown >= 10:
            shown = now
            done = min(len(rows), start + part)
            print(f"  ground truth: {done:,}/{len(rows):,} rows, {done / (now - started):,.0f} rows/s, "
                  f"{(len(rows) - done) * (now - started) / done:.0f} s left", file=sys.stderr, flush=True)
    out = np.full((nq, k), -1, dtype=np.int64)
    out[:, :kk] = best_i
    return out


def cached_gt(name, base, queries, allowed=None, k=K, tag_=_TAG):
    """exact_topk, cached as gt_<name>-<tag>.npy in CACHE_DIR (the name must say what base/allowed were)."""
    path = _path(f"gt_{name}", tag_)
    if os.path.exists(path):
        return np.load(path)
    gt = exact_topk(base, queries, k=k, allowed=allowed)
    _save(path, gt)
    return gt


def ground_truth(d=None, n=N, dim=DIM):
    """The unfiltered ground truth of all NQ queries over all n vectors (gt_all) of the dataset of n x dim."""
    d = d or load(n, dim)
    return cached_gt("all", d["base"], d["queries"], tag_=tag(n, dim))


def recall_at_k(result_idx, gt, k=K):
    """Mean over queries of |result ∩ gt| / |valid gt| (queries whose gt is all -1 count as 0). result_idx: one
    list (or array) of base indices per query."""
    total = 0.0
    for result, truth in zip(result_idx, gt):
        expected = {int(x) for x in truth[:k] if x >= 0}
        if not expected:
            continue
        total += len(expected.intersection(int(x) for x in list(result)[:k])) / len(expected)
    return total / len(gt)


def npy_sha256(array):
    """sha256 of the bytes np.save writes for `array` (what the cache file holds)."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check():
    """Regenerates the dataset in memory (a few seconds; the cache is neither read nor written) and compares each
    file's sha256 with FILE_SHA256; also reports cached files that differ (a stale or damaged cache)."""
    arrays = generate()
    arrays["gt_all"] = exact_topk(arrays["base"], arrays["queries"])
    ok = True
    for name, array in arrays.items():
        got = npy_sha256(array)
        if got == FILE_SHA256[name]:
            print(f"{name}-{_TAG}.npy  {got}  ok")
        else:
            ok = False
            print(f"{name}-{_TAG}.npy  {got}  DIFFERS from {FILE_SHA256[name]}", file=sys.stderr)
        cached = os.path.join(CACHE_DIR, f"{name}-{_TAG}.npy")
        if os.path.exists(cached) and file_sha256(cached) != got:
            ok = False
            print(f"  the cached {cached} differs: delete it and run python3 Benchmarks/dataset.py", file=sys.stderr)
    print(f"numpy {np.__version__}: " + ("the dataset matches its checksums" if ok else "MISMATCH"))
    return ok


def sha1_rows(array, rows=GEN_CHUNK):
    """sha1 of array.tobytes(), hashed a few rows at a time (no copy of a large memory-mapped array)."""
    h = hashlib.sha1()
    for start in range(0, array.shape[0], rows):
        h.update(np.ascontiguousarray(array[start:start + rows]).tobytes())
    return h.hexdigest()


def summary(n=N, dim=DIM):
    started = time.perf_counter()
    d = load(n, dim, mmap=True)
    loaded = time.perf_counter()
    gt = ground_truth(d, n, dim)
    done = time.perf_counter()
    base = d["base"]
    return {
        "params": params(n, dim),
        "cache_dir": CACHE_DIR,
        "base_shape": list(base.shape),
        "queries_shape": list(d["queries"].shape),
        "base_sha1": sha1_rows(base),
        "queries_sha1": hashlib.sha1(d["queries"].tobytes()).hexdigest(),
        "gt_sha1": hashlib.sha1(gt.tobytes()).hexdigest(),
        "gt_first_query": gt[0].tolist(),
        "load_or_generate_s": round(loaded - started, 3),
        "ground_truth_s": round(done - loaded, 3),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if check() else 1)
    args = sys.argv[1:]
    sizes = {"--n": N, "--dim": DIM}
    while len(args) >= 2 and args[0] in sizes:
        sizes[args[0]] = int(args[1])
        args = args[2:]
    if args:
        sys.exit(__doc__)
    print(json.dumps(summary(sizes["--n"], sizes["--dim"]), indent=1))
