"""Bytes on the store (issue 25): `cairn serve` beside `chroma run` (chromadb 1.5.9) in one run, both filled through
the official client, on three shapes:

- one:   1 collection x 100,000 vectors (the standard dataset's 128-d vectors, metadata and documents)
- small: 300 collections x 500 vectors (64-d, no metadata, no documents)
- tiny:  3,000 collections x 50 vectors (64-d, no metadata, no documents)

Cairn: once compaction is idle (its /metrics), the folder's bytes by object kind (log fragments, version manifests,
blockfile roots, blocks, HNSW files, the catalog); then, server stopped, `cairn gc FOLDER --min-age 0` with the
default --keep-versions (what remains once the default minimum age has passed) and the bytes again. Chroma: the
folder's bytes after the last add, server stopped (its SQLite file and HNSW segment folders). Bytes are file sizes
(`st_size`), the same measure for both. DISK_BENCH_SHAPES picks shapes (comma-separated, default all three).

Run by Benchmarks/run-disk.sh with .venv-chroma's python. Prints one JSON object per shape and a summary table.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import server_bench  # noqa: E402

SHAPES = {"one": (1, 100_000, 128), "small": (300, 500, 64), "tiny": (3000, 50, 64)}
PORT = 8923


def cairn_part(key):
    """The kind of a Cairn store object from its key (a path relative to the store): catalog, log, manifests, hnsw,
    roots, blocks or other."""
    key = "/" + key
    if key.rsplit("/", 1)[1].startswith("catalog.sqlite3"):
        return "catalog"
    for folder, part in (("/log/", "log"), ("/version/", "manifests"), ("/hnsw/", "hnsw"), ("/root/", "roots"),
                         ("/block/", "blocks")):
        if folder in key:
            return part
    return "other"


def sizes(folder, kind):
    """Bytes under `folder` by object kind."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                continue
            if kind == "chroma":
                part = "sqlite" if name.startswith("chroma.sqlite3") else "hnsw"
            else:
                part = cairn_part(os.path.relpath(path, folder))
            out[part] = out.get(part, 0) + size
    out["total"] = sum(out.values())
    return out


def fill(kind, collections, per, dim):
    """Creates the collections and adds the vectors through the official client."""
    client = server_bench.client(PORT)
    if collections == 1:
        data = dataset.load()
        base = data["base"][:per]
        ids = dataset.ids()[:per]
        metas = dataset.metadatas(data["tagidx"])[:per]
        docs = dataset.documents(data["cluster"])[:per]
        col = client.create_collection("one", embedding_function=None)
        for start in range(0, per, 1000):
            end = min(per, start + 1000)
            col.add(ids=ids[start:end], embeddings=base[start:end].tolist(), metadatas=metas[start:end],
                    documents=docs[start:end])
        return
    rng = np.random.default_rng(25)
    for c in range(collections):
        col = client.create_collection(f"c{c:05d}", embedding_function=None)
        vectors = rng.normal(size=(per, dim)).astype(np.float32)
        col.add(ids=[f"r{i}" for i in range(per)], embeddings=vectors.tolist())


def run(kind, shape):
    collections, per, dim = SHAPES[shape]
    folder = tempfile.mkdtemp(prefix=f"disk-{kind}-")
    process = server_bench.start(kind, folder, PORT)
    result = {"server": kind, "shape": shape, "collections": collections, "vectors": collections * per, "dim": dim}
    try:
        started = time.perf_counter()
        fill(kind, collections, per, dim)
        result["fill_s"] = round(time.perf_counter() - started, 1)
        if kind == "cairn":
            server_bench.wait_indexed(PORT)
            result["compacted"] = sizes(folder, kind)
    finally:
        process.send_signal(15)
        process.wait(timeout=120)
    if kind == "cairn":
        subprocess.run([os.environ["CAIRN_BIN"], "gc", folder, "--min-age", "0"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result["after_gc"] = sizes(folder, kind)
    else:
        result["stored"] = sizes(folder, kind)
    subprocess.run(["rm", "-rf", folder], check=False)
    final = result["after_gc" if kind == "cairn" else "stored"]["total"]
    result["bytes_per_vector"] = round(final / result["vectors"], 1)
    result["bytes_per_collection"] = round(final / collections)
    return result


def mib(n):
    return f"{n / 1048576:.1f}"


def main():
    shapes = [s for s in os.environ.get("DISK_BENCH_SHAPES", "one,small,tiny").split(",") if s]
    rows = []
    for shape in shapes:
        cairn = run("cairn", shape)
        print(json.dumps(cairn), flush=True)
        chroma = run("chroma", shape)
        print(json.dumps(chroma), flush=True)
        rows.append((shape, cairn, chroma))
    print(f"summary (MiB; load {os.getloadavg()[0]:.1f}): shape | cairn compacted | cairn after gc | chroma | ratio "
          "after gc | cairn after gc by kind")
    for shape, cairn, chroma in rows:
        after, stored = cairn["after_gc"], chroma["stored"]
        kinds = ", ".join(f"{k} {mib(v)}" for k, v in sorted(after.items()) if k != "total")
        print(f"  {shape}: {mib(cairn['compacted']['total'])} | {mib(after['total'])} | {mib(stored['total'])} | "
              f"{after['total'] / stored['total']:.2f}x | {kinds}")


if __name__ == "__main__":
    main()
