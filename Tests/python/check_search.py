"""Chroma's Search API (hybrid search, issue 21) through the official client against `cairn serve` on a folder: dense
Knn ranking with filters (metadata, `#document`, `#id`), `return_rank` and `default`, arithmetic, `Rrf` of two dense
rankings, group-by with MinK/MaxK, select, pagination, several searches per call and every read level. Expected
results are computed here independently from the raw data by exact scoring over all records (numpy, float32), and
compared id by id and score by score. Then hybrid search (BM25 sparse Knn with IDF, dense+sparse Rrf, Cairn's own
BM25 vectors for a raw HTTP write) on a folder and again on the local S3 server ($CAIRN_S3_TEST_URL, skipped with a
message without it), where a second node over the same bucket must answer the same. Needs $CAIRN_BIN (or
.build/debug/cairn).
"""
import os
import sys

import cairn_serve
import chroma_venv

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402

import chromadb  # noqa: E402
import numpy as np  # noqa: E402
from chromadb.config import Settings  # noqa: E402
from chromadb import Schema, SparseVectorIndexConfig  # noqa: E402
from chromadb.execution.expression import GroupBy, K, Knn, MaxK, MinK, Rrf, Search, Val  # noqa: E402
from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction  # noqa: E402

N, D = 400, 8
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)


rng = np.random.default_rng(21)
vectors = rng.normal(size=(N, D)).astype(np.float32)
ids = [f"r{i:03d}" for i in range(N)]
metas = [{"cat": i % 5, "n": i, "group": "g" + str(i % 3)} for i in range(N)]
docs = [f"record {i} {'alpha' if i % 4 == 0 else 'beta'}" for i in range(N)]


def distances(query):
    diff = vectors - np.asarray(query, dtype=np.float32)
    return (diff * diff).sum(axis=1, dtype=np.float32)  # squared L2, as the collection's space


def knn(query, limit, mask=None):
    """The exact `limit` nearest among `mask`: [(index, distance)], nearest first, ties by insertion order."""
    d = distances(query)
    candidates = [i for i in range(N) if mask is None or mask[i]]
    candidates.sort(key=lambda i: (d[i], i))
    return [(i, d[i]) for i in candidates[:limit]]


def same_scores(got, want, what):
    check(len(got) == len(want) and all(abs(g - w) <= 1e-4 * max(1.0, abs(w)) for g, w in zip(got, want)),
          f"{what}: scores {got} vs {want}")


WORDS = ("river stone bridge forest lantern harbor meadow copper violet thunder garden silver morning winter "
         "candle orchard falcon marble canyon ember").split()


def bm25_expected(query_text, vectors_by_id, order, bm25, mask=None):
    """Sparse Knn as Chroma Cloud scores it, computed here: q scaled by idf(t) = ln(1 + (N - n_t + .5) / (n_t + .5))
    (float32), measure 1 - q.d over the records sharing an index with q, ties by insertion order."""
    q = bm25.embed_query([query_text])[0]
    total = np.float32(len(vectors_by_id))
    scaled = {}
    for index, value in zip(q.indices, q.values):
        n = np.float32(sum(1 for v in vectors_by_id.values() if index in v))
        scaled[index] = np.float32(value) * np.float32(np.log1p((total - n + np.float32(0.5)) / (n + np.float32(0.5))))
    scored = []
    for position, rid in enumerate(order):
        if rid not in vectors_by_id or (mask is not None and not mask(rid)):
            continue
        d = vectors_by_id[rid]
        shared = [i for i in sorted(scaled) if i in d]
        if shared:
            dot = np.float32(0)
            for i in shared:
                dot = np.float32(dot + scaled[i] * d[i])
            scored.append((np.float32(1) - dot, position, rid))
    scored.sort()
    return [(rid, score) for score, _, rid in scored]


def hybrid(client, port):
    """10. Hybrid search: a sparse index on `sparse` fed by ChromaBm25EmbeddingFunction from the documents, BM25 IDF
    at query time, Rrf of dense and sparse; and Cairn computing the vectors itself for a raw HTTP write."""
    import json
    import urllib.request

    bm25 = ChromaBm25EmbeddingFunction()
    schema = Schema().create_index(
        config=SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=bm25, bm25=True), key="sparse")
    col = client.create_collection("hybrid", schema=schema, embedding_function=None)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 15)))) for _ in range(300)]
    hids = [f"h{i:03d}" for i in range(300)]
    dense = rng.normal(size=(300, D)).astype(np.float32)
    col.add(ids=hids, embeddings=dense.tolist(), documents=texts, metadatas=[{"k": i % 3} for i in range(300)])
    vectors_by_id = {}
    for rid, vector in zip(hids, bm25(texts)):
        vectors_by_id[rid] = {i: np.float32(v) for i, v in zip(vector.indices, vector.values)}
    stored = col.get(ids=[hids[0]], include=["metadatas"])["metadatas"][0]["sparse"]
    check(list(stored.indices) == list(bm25([texts[0]])[0].indices), "the stored sparse vector is the client's")

    for text in ["river stone", "falcon falcon ember canyon", "thunder", "nothing matches"]:
        want = bm25_expected(text, vectors_by_id, hids, bm25)[:10]
        r = col.search(Search().rank(Knn(query=text, key="sparse", limit=10)).select(K.SCORE))
        check(r["ids"][0] == [rid for rid, _ in want], f"bm25 '{text}': {r['ids'][0]} vs {[x for x, _ in want]}")
        same_scores(r["scores"][0], [float(score) for _, score in want], f"bm25 '{text}'")
    # A metadata filter restricts the sparse candidates.
    want = bm25_expected("river stone", vectors_by_id, hids, bm25, mask=lambda rid: int(rid[1:]) % 3 == 1)[:5]
    r = col.search(Search().where(K("k") == 1).rank(Knn(query="river stone", key="sparse", limit=5)))
    check(r["ids"][0] == [rid for rid, _ in want], f"filtered bm25 {r['ids'][0]}")

    # Rrf of the dense and the sparse ranking (k=60, equal weights), both lists of 30.
    q = rng.normal(size=D).astype(np.float32)
    d = ((dense - q) ** 2).sum(axis=1, dtype=np.float32)
    dense_rank = {hids[i]: n for n, i in enumerate(sorted(range(300), key=lambda i: (d[i], i))[:30])}
    sparse_rank = {rid: n for n, (rid, _) in enumerate(bm25_expected("copper violet", vectors_by_id, hids, bm25)[:30])}
    fused = sorted((-(np.float32(1) / (60 + dense_rank[rid]) + np.float32(1) / (60 + sparse_rank[rid])), hids.index(rid), rid)
                   for rid in dense_rank if rid in sparse_rank)
    r = col.search(Search().rank(Rrf([Knn(query=q.tolist(), limit=30, return_rank=True),
                                      Knn(query="copper violet", key="sparse", limit=30, return_rank=True)]))
                   .select(K.SCORE))
    check(r["ids"][0] == [rid for _, _, rid in fused][:len(r["ids"][0])] and len(r["ids"][0]) == min(10, len(fused)),
          f"rrf dense+sparse {r['ids'][0]} vs {[x for _, _, x in fused][:10]}")

    # A raw HTTP add with documents only: Cairn computes the vector the client's function would have.
    body = json.dumps({"ids": ["raw"], "embeddings": [[0.0] * D], "documents": ["Lanterns in the harbor, morning!"]})
    url = f"http://127.0.0.1:{port}/api/v2/tenants/default_tenant/databases/default_database/collections/{col.id}/add"
    urllib.request.urlopen(urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"}))
    stored = col.get(ids=["raw"], include=["metadatas"])["metadatas"][0]["sparse"]
    want = bm25(["Lanterns in the harbor, morning!"])[0]
    check(list(stored.indices) == list(want.indices)
          and all(abs(a - b) < 1e-6 for a, b in zip(stored.values, want.values)),
          f"server-side BM25 {stored} vs {want}")
    # A sparse query with unsorted indices is refused with Chroma's message.
    try:
        col.search(Search().rank(Knn(query={"#type": "sparse_vector", "indices": [5, 1], "values": [1.0, 1.0]},
                                     key="sparse")))
        check(False, "unsorted sparse indices were accepted")
    except Exception as error:  # noqa: BLE001
        check("strictly ascending" in str(error), f"unsorted sparse query: {error}")


def hybrid_on_s3():
    """The hybrid checks again on the local S3 server `make test` starts, compacted (`--compaction-max-age 1`), and
    a second node over the same bucket answering the same."""
    import time

    url = cairn_serve.s3_test_url("search")
    if not url:
        print("check_search: S3 part skipped (no local S3 server: CAIRN_S3_TEST_URL unset)")
        return
    scratch = tempfile.mkdtemp(prefix="cairn-search-s3-")
    nodes = []
    try:
        for name in ("one", "two"):
            nodes.append(cairn_serve.start(
                ["--store", url, "--catalog", os.path.join(scratch, f"{name}.sqlite3"), "--port", "0",
                 "--log-level", "warning", "--compaction-max-age", "1"], "check_search"))
        one, two = (chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))
                    for _, port in nodes)
        hybrid(one, nodes[0][1])
        time.sleep(3)  # compaction folds the log (max age 1 s)
        searches = [Search().rank(Knn(query=text, key="sparse", limit=10)).select(K.SCORE)
                    for text in ("river stone", "falcon ember")]
        answers = one.get_collection("hybrid").search(searches)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if two.get_collection("hybrid").search(searches)["ids"] == answers["ids"]:
                    break
            except Exception:  # noqa: BLE001 — node two has not seen the collection yet
                pass
            time.sleep(0.2)
        else:
            check(False, "node two answers sparse searches as node one does")
    finally:
        for process, _ in nodes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    folder = tempfile.mkdtemp(prefix="cairn-search-")
    process, port = cairn_serve.start(["--path", folder, "--port", "0", "--log-level", "warning"], "check_search")
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))
        col = client.create_collection("search", embedding_function=None)
        half = N // 2
        col.add(ids=ids[:half], embeddings=vectors[:half].tolist(), metadatas=metas[:half], documents=docs[:half])
        col.add(ids=ids[half:], embeddings=vectors[half:].tolist(), metadatas=metas[half:], documents=docs[half:])
        q1, q2 = rng.normal(size=D).astype(np.float32), rng.normal(size=D).astype(np.float32)

        # 1. A dense Knn: ids and scores are the exact nearest and their distances.
        r = col.search(Search().rank(Knn(query=q1.tolist(), limit=10)).limit(5).select(K.SCORE, K.DOCUMENT))
        want = knn(q1, 10)[:5]
        check(r["ids"][0] == [ids[i] for i, _ in want], f"knn ids {r['ids'][0]}")
        same_scores(r["scores"][0], [d for _, d in want], "knn")
        check(r["documents"][0] == [docs[i] for i, _ in want], "knn documents")

        # 2. A filter (metadata and #document) restricts the candidates before the Knn.
        mask = [metas[i]["cat"] == 2 and "alpha" in docs[i] for i in range(N)]
        r = col.search(Search().where((K("cat") == 2) & K.DOCUMENT.contains("alpha"))
                       .rank(Knn(query=q1.tolist(), limit=8)).select(K.SCORE, "cat"))
        want = knn(q1, 8, mask)
        check(r["ids"][0] == [ids[i] for i, _ in want], f"filtered knn {r['ids'][0]}")
        check(all(m == {"cat": 2} for m in r["metadatas"][0]), "a selected field returns that field only")

        # 3. #id filters.
        wanted = [ids[i] for i in range(0, N, 7)]
        r = col.search(Search().where(K.ID.is_in(wanted) & (K.ID != wanted[0])).rank(Knn(query=q1.tolist(), limit=5)))
        mask = [ids[i] in wanted and ids[i] != wanted[0] for i in range(N)]
        check(r["ids"][0] == [ids[i] for i, _ in knn(q1, 5, mask)], f"#id filter {r['ids'][0]}")

        # 4. Arithmetic: 1 - 0.5 * knn, and return_rank with a default (union of two lists).
        r = col.search(Search().rank(Val(1.0) - Knn(query=q1.tolist(), limit=6) * 0.5).select(K.SCORE))
        want = sorted(((np.float32(1) - np.float32(0.5) * d, i) for i, d in knn(q1, 6)))
        check(r["ids"][0] == [ids[i] for _, i in want], f"arithmetic ids {r['ids'][0]}")
        same_scores(r["scores"][0], [s for s, _ in want], "arithmetic")

        # 5. Rrf of two dense rankings (no defaults: the records in both lists).
        a, b = knn(q1, 20), knn(q2, 20)
        ra, rb = {i: n for n, (i, _) in enumerate(a)}, {i: n for n, (i, _) in enumerate(b)}
        both = sorted((-(np.float32(1) / (60 + ra[i]) + np.float32(1) / (60 + rb[i])), i) for i in ra if i in rb)
        r = col.search(Search().rank(Rrf([Knn(query=q1.tolist(), limit=20, return_rank=True),
                                          Knn(query=q2.tolist(), limit=20, return_rank=True)])).select(K.SCORE))
        check(r["ids"][0] == [ids[i] for _, i in both], f"rrf ids {r['ids'][0]} vs {[ids[i] for _, i in both]}")
        same_scores(r["scores"][0], [s for s, _ in both], "rrf")
        # With defaults on both: the union, records missing from one list at rank 1000.
        union = sorted((-(np.float32(1) / (60 + ra.get(i, 1000)) + np.float32(1) / (60 + rb.get(i, 1000))), i)
                       for i in set(ra) | set(rb))
        r = col.search(Search().rank(Rrf([Knn(query=q1.tolist(), limit=20, return_rank=True, default=1000),
                                          Knn(query=q2.tolist(), limit=20, return_rank=True, default=1000)])))
        check(r["ids"][0] == [ids[i] for _, i in union], "rrf with defaults is the union")

        # 6. Group-by: the best 2 per group, all ranked by score.
        top = knn(q1, 50)
        per_group = {}
        for i, d in top:
            per_group.setdefault(metas[i]["group"], []).append((d, i))
        kept = sorted(x for members in per_group.values() for x in sorted(members)[:2])
        r = col.search(Search().rank(Knn(query=q1.tolist(), limit=50))
                       .group_by(GroupBy(K("group"), MinK(keys=[K.SCORE], k=2))).select(K.SCORE))
        check(r["ids"][0] == [ids[i] for _, i in kept], f"group-by min_k {r['ids'][0]}")
        by_n = sorted(x for members in per_group.values()
                      for x in sorted(members, key=lambda m: -metas[m[1]]["n"])[:1])
        r = col.search(Search().rank(Knn(query=q1.tolist(), limit=50))
                       .group_by(GroupBy(K("group"), MaxK(keys=[K("n")], k=1))))
        check(r["ids"][0] == [ids[i] for _, i in by_n], f"group-by max_k {r['ids'][0]}")

        # 7. Pagination, no rank (insertion order, scores are positions), several searches, every read level.
        page = Search().rank(Knn(query=q1.tolist(), limit=30)).limit(10, offset=10)
        plain = Search().where(K("cat") == 4).limit(3, offset=2).select(K.SCORE)
        for level in ("index_and_wal", "index_only"):
            r = col.search([page, plain], read_level=level)
            check(r["ids"][0] == [ids[i] for i, _ in knn(q1, 30)[10:20]], f"page at offset 10 ({level})")
            cat4 = [ids[i] for i in range(N) if metas[i]["cat"] == 4]
            check(r["ids"][1] == cat4[2:5] and r["scores"][1] == [0.0, 1.0, 2.0], f"no rank ({level}): {r['ids'][1]}")

        # 8. A fresh write is searched at once (the log tail), and a delete disappears.
        col.add(ids=["fresh"], embeddings=[q1.tolist()], documents=["fresh"])
        col.delete(ids=[ids[knn(q1, 1)[0][0]]])
        r = col.search(Search().rank(Knn(query=q1.tolist(), limit=3)).select(K.SCORE))
        check(r["ids"][0][0] == "fresh" and r["scores"][0][0] == 0.0, f"fresh write first: {r['ids'][0]}")
        check(ids[knn(q1, 1)[0][0]] not in r["ids"][0], "a deleted record is not returned")

        # 9. Bad input: Chroma's answers, nothing changes.
        try:
            col.search(Search().rank(Knn(query={"#type": "sparse_vector", "indices": [1], "values": [1.0]},
                                         key="sparse", limit=3)))
            check(False, "a sparse Knn on a key without a sparse index was answered")
        except Exception as error:  # noqa: BLE001
            check("indexing is disabled" in str(error), f"sparse on an unindexed key: {error}")
        try:
            col.search(Search().rank(Knn(query=[1.0, 2.0], limit=3)))
            check(False, "a query of the wrong dimension was answered")
        except Exception as error:  # noqa: BLE001
            check("dimension" in str(error), f"wrong dimension: {error}")
        check(col.count() == N, "bad searches changed nothing")

        hybrid(client, port)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    hybrid_on_s3()
    if failures:
        print(f"check_search: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_search: dense Knn, filters, #id, arithmetic, Rrf, group-by, select, pagination, read levels, fresh "
          "writes, BM25 sparse Knn and dense+sparse Rrf through the official client equal exact scoring: ok")


if __name__ == "__main__":
    main()
