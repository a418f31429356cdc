"""Sparse and hybrid search (issue 21): BM25 top-10 and dense+BM25 Rrf top-10 through the official client against
`cairn serve`, beside exact scoring in numpy over the same vectors and SQLite FTS5's bm25() over the same documents,
in one run on one machine. (`chroma run` has no Search API — "Search operation is not implemented for local
executor" — so Chroma itself is not a column.)

Data: SPARSE_BENCH_N documents (default 100,000) of Benchmarks/text_corpus.py beside the first N vectors of the
standard dataset (Benchmarks/dataset.py); each document's BM25 vector from chromadb's ChromaBm25EmbeddingFunction
(cached in $PEERS_DATA_DIR). Queries: SPARSE_BENCH_Q (default 200) texts of 2-4 words drawn from random documents
(seeded), each with a dense query vector from the dataset's queries. Cairn: a collection whose schema has a sparse
index on `sparse` (the BM25 function, source_key #document, bm25 true), filled through the client in batches of
1,000, compacted (its /metrics say idle) before timing; queries sent one at a time.

Recall is against exact scoring (Chroma's formula: IDF-scaled query, 1 - q.d, computed here in numpy float32):
sparse top-10, and Rrf (k=60) of the exact dense top-100 and exact sparse top-100. FTS5 tokenizes and ranks with its
own rules (porter stemmer, its BM25 variant), so it is a speed anchor only.

Run by Benchmarks/run-sparse.sh with .venv-chroma's python. Prints a JSON object and a summary line.
"""
import json
import os
import pickle
import sqlite3
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import server_bench  # noqa: E402
import text_corpus  # noqa: E402

N = int(os.environ.get("SPARSE_BENCH_N", "100000"))
NQ = int(os.environ.get("SPARSE_BENCH_Q", "200"))
PORT = 8921


def percentiles(latencies):
    a = np.array(latencies) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p99_ms": round(float(np.percentile(a, 99)), 3),
            "qps": round(len(a) / (a.sum() / 1000), 1)}


def bm25_vectors(docs, corpus_id):
    from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction
    path = os.path.join(dataset.CACHE_DIR, f"bm25-{corpus_id}-{len(docs)}.pkl")
    if os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f)
    started = time.time()
    function = ChromaBm25EmbeddingFunction()
    vectors = []
    for start in range(0, len(docs), 5000):
        vectors += [(list(v.indices), list(v.values)) for v in function(docs[start:start + 5000])]
    print(f"BM25 vectors of {len(docs)} documents computed in {time.time() - started:.0f} s (cached in {path})",
          file=sys.stderr, flush=True)
    with open(path, "wb") as f:
        pickle.dump(vectors, f)
    return vectors


class Exact:
    """Chroma's sparse scoring over all documents, in numpy float32: postings per dimension, IDF at query time."""

    def __init__(self, vectors):
        postings = {}
        for doc, (indices, values) in enumerate(vectors):
            for index, value in zip(indices, values):
                postings.setdefault(index, ([], []))
                postings[index][0].append(doc)
                postings[index][1].append(value)
        self.postings = {k: (np.array(d, dtype=np.int64), np.array(v, dtype=np.float32)) for k, (d, v) in postings.items()}
        self.n = len(vectors)

    def top(self, indices, values, k):
        dots = np.zeros(self.n, dtype=np.float32)
        touched = np.zeros(self.n, dtype=bool)
        total = np.float32(self.n)
        for index, value in zip(indices, values):
            if index not in self.postings:
                continue
            docs, weights = self.postings[index]
            n_t = np.float32(len(docs))
            idf = np.float32(np.log1p((total - n_t + np.float32(0.5)) / (n_t + np.float32(0.5))))
            dots[docs] += np.float32(value) * idf * weights
            touched[docs] = True
        candidates = np.nonzero(touched)[0]
        order = np.lexsort((candidates, -dots[candidates]))[:k]
        return [int(candidates[i]) for i in order]


def rrf(dense, sparse, k=60, limit=10):
    rd = {d: r for r, d in enumerate(dense)}
    rs = {d: r for r, d in enumerate(sparse)}
    fused = sorted((-(1 / (k + rd[d]) + 1 / (k + rs[d])), d) for d in rd if d in rs)
    return [d for _, d in fused[:limit]]


def main():
    from chromadb import Schema, SparseVectorIndexConfig
    from chromadb.api.types import SparseVector
    from chromadb.execution.expression import K, Knn, Rrf, Search
    from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

    docs = text_corpus.documents(N)
    corpus_id = text_corpus.corpus_hash(docs)
    data = dataset.load()
    base = data["base"][:N]
    dense_queries = data["queries"][:NQ]
    vectors = bm25_vectors(docs, corpus_id)
    rng = np.random.default_rng(21)
    texts = []
    for _ in range(NQ):
        words = docs[int(rng.integers(N))].split()
        start = int(rng.integers(max(1, len(words) - 4)))
        texts.append(" ".join(words[start:start + int(rng.integers(2, 5))]))
    function = ChromaBm25EmbeddingFunction()
    sparse_queries = [(list(v.indices), list(v.values)) for v in function.embed_query(texts)]

    # Exact scoring (numpy): the reference answers, and its own time per query.
    exact = Exact(vectors)
    started = time.perf_counter()
    exact_sparse10 = [exact.top(i, v, 10) for i, v in sparse_queries]
    numpy_sparse_s = (time.perf_counter() - started) / NQ
    exact_sparse100 = [exact.top(i, v, 100) for i, v in sparse_queries]
    dense_exact100 = []
    for q in dense_queries:
        d = ((base - q) ** 2).sum(axis=1)
        dense_exact100.append([int(i) for i in np.lexsort((np.arange(N), d))[:100]])
    exact_hybrid = [rrf(d, s) for d, s in zip(dense_exact100, exact_sparse100)]

    # SQLite FTS5 over the same documents: bm25() top-10 of the query words OR'd.
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = 'porter unicode61')")
    started = time.perf_counter()
    db.executemany("INSERT INTO docs(rowid, body) VALUES (?, ?)", ((i, d) for i, d in enumerate(docs)))
    db.commit()
    fts_build_s = time.perf_counter() - started
    fts_latencies = []
    for text in texts:
        words = [w for w in text.replace("'", " ").split() if w]
        match = " OR ".join(f'"{w}"' for w in words)
        started = time.perf_counter()
        db.execute("SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (match,)).fetchall()
        fts_latencies.append(time.perf_counter() - started)

    # Cairn through the official client.
    folder = tempfile.mkdtemp(prefix="cairn-sparse-")
    process = server_bench.start("cairn", folder, PORT)
    try:
        client = server_bench.client(PORT)
        schema = Schema().create_index(
            config=SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=function, bm25=True),
            key="sparse")
        col = client.create_collection("sparse", schema=schema, embedding_function=None)
        ids = [f"d{i:06d}" for i in range(N)]
        started = time.perf_counter()
        for start in range(0, N, 1000):
            end = min(N, start + 1000)
            col.add(ids=ids[start:end], embeddings=base[start:end].tolist(), documents=docs[start:end],
                    metadatas=[{"sparse": SparseVector(indices=list(vectors[i][0]), values=list(vectors[i][1]))}
                               for i in range(start, end)])
        ingest_s = time.perf_counter() - started
        server_bench.wait_indexed(PORT)
        indexed_s = time.perf_counter() - started

        def sparse_search(i, limit=10):
            indices, values = sparse_queries[i]
            return Search().rank(Knn(query=SparseVector(indices=indices, values=values), key="sparse",
                                     limit=limit)).limit(10)

        def hybrid_search(i):
            indices, values = sparse_queries[i]
            return Search().rank(Rrf([
                Knn(query=dense_queries[i].tolist(), limit=100, return_rank=True),
                Knn(query=SparseVector(indices=indices, values=values), key="sparse", limit=100, return_rank=True),
            ])).limit(10)

        col.search(sparse_search(0))  # first query of the version: reads its sparse index
        results = {}
        for name, make, truth in (("sparse", sparse_search, exact_sparse10), ("hybrid", hybrid_search, exact_hybrid)):
            latencies, hits, wanted = [], 0, 0
            for i in range(NQ):
                search = make(i)
                started = time.perf_counter()
                got = col.search(search)["ids"][0]
                latencies.append(time.perf_counter() - started)
                got = [int(x[1:]) for x in got]
                hits += len(set(got) & set(truth[i]))
                wanted += len(truth[i])
            results[name] = dict(percentiles(latencies), recall_at_10=round(hits / max(wanted, 1), 4))
    finally:
        server_bench.stop(process, folder)

    out = {"n": N, "queries": NQ, "corpus": corpus_id, "python": sys.version.split()[0],
           "cairn": dict(results, ingest_vectors_per_s=round(N / ingest_s), indexed_after_s=round(indexed_s, 1)),
           "numpy_exact_sparse": {"ms_per_query": round(numpy_sparse_s * 1000, 3)},
           "fts5": dict(percentiles(fts_latencies), build_s=round(fts_build_s, 1))}
    print(json.dumps(out))
    c = out["cairn"]
    print(f"summary (N={N}, {NQ} queries, load {os.getloadavg()[0]:.1f}): cairn sparse top-10 p50 "
          f"{c['sparse']['p50_ms']} ms p99 {c['sparse']['p99_ms']} ms {c['sparse']['qps']} QPS recall "
          f"{c['sparse']['recall_at_10']}; hybrid Rrf p50 {c['hybrid']['p50_ms']} ms p99 {c['hybrid']['p99_ms']} ms "
          f"recall {c['hybrid']['recall_at_10']}; numpy exact sparse {out['numpy_exact_sparse']['ms_per_query']} "
          f"ms/query; FTS5 bm25 top-10 p50 {out['fts5']['p50_ms']} ms p99 {out['fts5']['p99_ms']} ms; "
          f"ingest {c['ingest_vectors_per_s']}/s, indexed after {c['indexed_after_s']} s")


if __name__ == "__main__":
    main()
