"""Chroma compatibility of `cairn serve`: the official client (chromadb 1.5.9, from PyPI) drives a Cairn server and an
embedded chromadb (EphemeralClient) through the same calls, and every result and error class must agree. Then a short
bounded load test (concurrent clients, no errors, no lost writes) and a graceful-shutdown check (SIGTERM, restart,
every acknowledged write still there).

chromadb's pins conflict with the tools in .venv, so this script runs itself in its own venv, .venv-chroma, which it
creates on first use. Needs $CAIRN_BIN (the cairn binary); exits non-zero on any difference.
"""
import os
import sys

import cairn_serve
import chroma_venv

ROOT = chroma_venv.ROOT

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import math  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import chromadb  # noqa: E402
from chromadb.config import Settings  # noqa: E402

TOKEN = "compat-token-" + str(random.Random(7).randrange(10**9))
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


# MARK: the server


class Server:
    def __init__(self, folder, token=TOKEN):
        self.process, self.port = cairn_serve.start(
            ["--path", folder, "--host", "127.0.0.1", "--port", "0", "--log-level", "warning"], "check_chroma_compat",
            env=dict(os.environ, CAIRN_AUTH_TOKEN=token))

    def client(self, token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return chromadb.HttpClient(
            host="127.0.0.1", port=self.port, headers=headers, settings=Settings(anonymized_telemetry=False))

    def stop(self):
        """SIGTERM, as a service manager stops it; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None


# MARK: comparing results


def normalize(value):
    """Results as plain Python: numpy arrays to lists, floats rounded so float32 round trips compare equal."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.5g}")
    return value


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def run(step, fn):
    """A call's outcome: its normalized result, or the class name of the exception it raised."""
    try:
        return ("ok", normalize(fn()))
    except Exception as error:  # noqa: BLE001 — the error class is what is compared
        return ("error", type(error).__name__, str(error)[:200])


class Pair:
    """The same call on Cairn and on embedded Chroma; the outcomes must agree."""

    def __init__(self, cairn, chroma):
        self.cairn, self.chroma = cairn, chroma
        self.steps = 0

    def check(self, step, fn, compare=None):
        self.steps += 1
        got, want = run(step, lambda: fn(self.cairn)), run(step, lambda: fn(self.chroma))
        if got[0] == "error" or want[0] == "error":
            if got[:2] != want[:2] and (got[1], want[1]) not in ALLOWED_ERROR_DIFFERENCES.get(step, ()):
                fail(f"{step}: cairn {got} vs chroma {want}")
            return
        a, b = (compare(got[1]), compare(want[1])) if compare else (got[1], want[1])
        if not same(a, b):
            fail(f"{step}:\n  cairn  {a}\n  chroma {b}")


# Where embedded chromadb and Chroma's HTTP server disagree, Cairn follows the HTTP server: a duplicate collection
# name is a 409 UniqueConstraintError over HTTP, while the embedded bindings raise InternalError.
ALLOWED_ERROR_DIFFERENCES = {"create duplicate": {("UniqueConstraintError", "InternalError")}}


def result_fields(result, fields):
    return {k: result.get(k) for k in fields}


# MARK: the scenario


def scenario(pair):
    rng = random.Random(42)
    dim = 8
    vectors = [[rng.uniform(-1, 1) for _ in range(dim)] for _ in range(300)]
    colors = ["red", "green", "blue"]
    ids = [f"id{i:03d}" for i in range(300)]
    metadatas = [
        {"color": colors[i % 3], "rank": i, "score": i / 10.0, "even": i % 2 == 0, "tags": ["a", "b"] if i % 5 == 0 else ["c"]}
        for i in range(300)]
    documents = [f"document {i} about {colors[i % 3]} things{' and cats' if i % 7 == 0 else ''}" for i in range(300)]

    coll = lambda c: c.get_collection("compat")  # noqa: E731
    pair.check("heartbeat is an int", lambda c: isinstance(c.heartbeat(), int))
    pair.check("create", lambda c: c.create_collection(
        "compat", metadata={"purpose": "compat", "n": 1, "f": 1.5}, embedding_function=None).metadata)
    pair.check("create duplicate", lambda c: c.create_collection("compat", embedding_function=None))
    pair.check("get_or_create existing", lambda c: c.get_or_create_collection(
        "compat", embedding_function=None).name)
    pair.check("create cosine", lambda c: c.create_collection(
        "compat_cos", metadata={"hnsw:space": "cosine"}, embedding_function=None).name)
    pair.check("bad name", lambda c: c.create_collection("x", embedding_function=None))
    pair.check("get missing", lambda c: c.get_collection("missing_coll"))
    pair.check("list", lambda c: sorted(x.name for x in c.list_collections()))
    # Chroma's listing order is its own (not creation or name order): compare what the pages hold together.
    pair.check("list paged", lambda c: sorted(
        x.name for o in range(3) for x in c.list_collections(limit=1, offset=o)))
    pair.check("count collections", lambda c: c.count_collections())

    for start in range(0, 250, 50):
        sl = slice(start, start + 50)
        pair.check(f"add {start}", lambda c, sl=sl: coll(c).add(
            ids=ids[sl], embeddings=vectors[sl], metadatas=metadatas[sl], documents=documents[sl]))
    pair.check("count", lambda c: coll(c).count())
    pair.check("add duplicate ids in batch", lambda c: coll(c).add(ids=["dup", "dup"], embeddings=[vectors[0]] * 2))
    pair.check("add wrong dimension", lambda c: coll(c).add(ids=["w"], embeddings=[[1.0, 2.0]]))
    pair.check("add bad metadata", lambda c: coll(c).add(ids=["w"], embeddings=[vectors[0]], metadatas=[{"$k": 1}]))
    pair.check("peek", lambda c: coll(c).peek(3)["ids"])

    inc = ["metadatas", "documents", "embeddings"]
    gets = {
        "get by ids": dict(ids=["id005", "id001", "id999"]),
        "get all limit offset": dict(limit=7, offset=20),
        "get where eq": dict(where={"color": "red"}, limit=10),
        "get where int vs float": dict(where={"rank": 3}),
        "get where float": dict(where={"score": {"$gte": 24.5}}),
        "get where and": dict(where={"$and": [{"color": "blue"}, {"rank": {"$lt": 30}}]}),
        "get where or": dict(where={"$or": [{"color": "green"}, {"even": True}]}, limit=15),
        "get where in": dict(where={"rank": {"$in": [1, 2, 3, 250, 299]}}),
        "get where nin": dict(where={"color": {"$nin": ["red", "green"]}}, limit=5, offset=3),
        "get where ne": dict(where={"color": {"$ne": "red"}}, limit=5),
        "get where contains list": dict(where={"tags": {"$contains": "a"}}, limit=6),
        "get where_document contains": dict(where_document={"$contains": "cats"}),
        "get where_document not_contains": dict(where_document={"$not_contains": "red"}, limit=8),
        "get both filters": dict(where={"even": False}, where_document={"$contains": "cats"}),
        "get include embeddings": dict(ids=["id010", "id011"], include=["embeddings"]),
        "get include none": dict(limit=3, include=[]),
        "get bad where": dict(where={"rank": {"$bogus": 1}}),
        "get bad where_document": dict(where_document={"$nope": "x"}),
    }
    for name, kwargs in gets.items():
        include = kwargs.pop("include", inc)
        pair.check(name, lambda c, kw=kwargs, include=include: result_fields(
            coll(c).get(include=include, **kw), ["ids"] + [f for f in include]))

    queries = {
        "query plain": dict(),
        "query where": dict(where={"color": "green"}),
        "query where_document": dict(where_document={"$contains": "cats"}),
        "query where and in": dict(where={"$and": [{"rank": {"$in": list(range(0, 300, 3))}}, {"even": True}]}),
    }
    for name, kwargs in queries.items():
        pair.check(name, lambda c, kw=kwargs: result_fields(
            coll(c).query(query_embeddings=vectors[:3], n_results=5,
                          include=["metadatas", "documents", "distances"], **kw),
            ["ids", "metadatas", "documents", "distances"]))
    pair.check("query embeddings included", lambda c: result_fields(
        coll(c).query(query_embeddings=[vectors[7]], n_results=2, include=["embeddings", "distances"]),
        ["ids", "embeddings", "distances"]))
    pair.check("query wrong dimension", lambda c: coll(c).query(query_embeddings=[[0.0] * 3], n_results=2))
    pair.check("query cosine", lambda c: [
        c.get_collection("compat_cos").add(ids=["u", "v", "w"], embeddings=[[1, 0], [0, 1], [1, 1]]),
        result_fields(c.get_collection("compat_cos").query(query_embeddings=[[2, 0.1]], n_results=3),
                      ["ids", "distances"])][1])

    pair.check("update", lambda c: coll(c).update(
        ids=["id001", "id002"], metadatas=[{"color": "purple", "rank": None}, {"extra": 1}],
        documents=["changed one", None]))
    pair.check("after update", lambda c: result_fields(coll(c).get(ids=["id001", "id002"]), ["ids", "metadatas", "documents"]))
    pair.check("update embeddings", lambda c: coll(c).update(ids=["id003"], embeddings=[vectors[299]]))
    pair.check("after update embeddings", lambda c: coll(c).query(query_embeddings=[vectors[299]], n_results=2)["ids"])
    pair.check("upsert", lambda c: coll(c).upsert(
        ids=["id004", "new1", "new2"], embeddings=vectors[250:253],
        metadatas=[{"color": "gold"}, {"color": "new"}, None], documents=["up4", "new one", None]))
    pair.check("after upsert", lambda c: result_fields(
        coll(c).get(ids=["id004", "new1", "new2"], include=["metadatas", "documents", "embeddings"]),
        ["ids", "metadatas", "documents", "embeddings"]))
    pair.check("count after upsert", lambda c: coll(c).count())
    pair.check("delete by ids", lambda c: coll(c).delete(ids=["id000", "id001", "nothere"]))
    pair.check("delete by where", lambda c: coll(c).delete(where={"color": "blue", "rank": {"$gt": 200}}))
    pair.check("delete by where_document", lambda c: coll(c).delete(where_document={"$contains": "cats"}))
    pair.check("delete nothing given", lambda c: coll(c).delete())
    pair.check("count after deletes", lambda c: coll(c).count())
    pair.check("get after deletes", lambda c: coll(c).get(include=[])["ids"])

    pair.check("modify", lambda c: coll(c).modify(name="compat2", metadata={"purpose": "renamed"}))
    pair.check("after modify", lambda c: (c.get_collection("compat2").metadata, c.get_collection("compat2").count()))
    pair.check("old name gone", lambda c: c.get_collection("compat"))
    pair.check("delete collection", lambda c: c.delete_collection("compat2"))
    pair.check("delete collection again", lambda c: c.delete_collection("compat2"))
    pair.check("delete collection cos", lambda c: c.delete_collection("compat_cos"))
    pair.check("list at end", lambda c: [x.name for x in c.list_collections()])

    pair.check("create database", lambda c: chroma_admin(c).create_database("compat_db"))
    pair.check("get database", lambda c: chroma_admin(c).get_database("compat_db")["name"])
    pair.check("list databases", lambda c: sorted(d["name"] for d in chroma_admin(c).list_databases()))
    pair.check("delete database", lambda c: chroma_admin(c).delete_database("compat_db"))
    pair.check("get deleted database", lambda c: chroma_admin(c).get_database("compat_db"))
    pair.check("create tenant", lambda c: chroma_admin(c).create_tenant("compat_tenant"))
    pair.check("get tenant", lambda c: chroma_admin(c).get_tenant("compat_tenant")["name"])


ADMIN = {}


def chroma_admin(client):
    """An AdminClient over the same server (or embedded system) as `client`, with its settings and headers."""
    key = id(client)
    if key not in ADMIN:
        ADMIN[key] = chromadb.AdminClient(client.get_settings())
    return ADMIN[key]


# MARK: load and shutdown


def load_test(server, writers=8, batches=20, batch=50, dim=16):
    """Concurrent writers and readers over loopback; every acknowledged id must be readable afterwards."""
    setup = server.client()
    shared = setup.create_collection("load", embedding_function=None)
    errors, acknowledged = [], []
    lock = threading.Lock()

    def writer(w):
        rng = random.Random(w)
        client = server.client()
        c = client.get_collection("load")
        for b in range(batches):
            ids = [f"w{w}-b{b}-{i}" for i in range(batch)]
            try:
                c.add(ids=ids, embeddings=[[rng.random() for _ in range(dim)] for _ in ids],
                      metadatas=[{"writer": w, "batch": b} for _ in ids])
                with lock:
                    acknowledged.extend(ids)
                c.query(query_embeddings=[[rng.random() for _ in range(dim)]], n_results=5, where={"writer": w})
            except Exception as error:  # noqa: BLE001
                with lock:
                    errors.append(f"writer {w} batch {b}: {type(error).__name__}: {error}")

    started = time.time()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.time() - started
    if errors:
        fail(f"load test: {len(errors)} errors, first: {errors[0]}")
    count = shared.count()
    stored = set(shared.get(include=[])["ids"])
    lost = set(acknowledged) - stored
    if count != len(acknowledged) or lost:
        fail(f"load test: {len(acknowledged)} acknowledged, count {count}, {len(lost)} lost")
    print(f"load test: {writers} concurrent clients wrote {len(acknowledged)} records in {writers * batches} adds "
          f"with a query after each, in {elapsed:.1f}s; errors {len(errors)}, lost {len(lost)}", flush=True)
    return set(acknowledged)


def check_metrics(server):
    """/metrics carries what the layers below report, not only the routes: the background compaction (the load
    test's records are compacted a few seconds after they were written) and, once queries read the compacted
    segments, the caches."""
    import urllib.request

    def metrics():
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}/metrics",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        return urllib.request.urlopen(request).read().decode()

    def value(text, name):
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    deadline = time.time() + 120
    text = metrics()
    while time.time() < deadline and (value(text, "cairn_compaction_pending_records") != 0
                                      or value(text, "cairn_compactions_running") != 0):
        time.sleep(0.2)
        text = metrics()
    if value(text, "cairn_compaction_pending_records") != 0:
        fail("the background compaction did not catch up within 120 s")
    server.client().get_collection("load").query(query_embeddings=[[0.5] * 16], n_results=5)
    text = metrics()
    for name in ("cairn_http_requests_total", "cairn_compactions_total", "cairn_cache_hits_total",
                 "cairn_cache_misses_total", "cairn_reads_total", "cairn_read_fetched_bytes_total"):
        if name not in text:
            fail(f"/metrics lacks {name}")
    print("metrics: background compaction caught up; /metrics reports requests, compactions and caches", flush=True)


def main():
    folder = tempfile.mkdtemp(prefix="cairn-compat-")
    server = Server(folder)
    try:
        # Token auth: without the token the client cannot even list collections.
        try:
            server.client(token=None).list_collections()
            fail("a client without the token was served")
        except Exception as error:  # noqa: BLE001
            if "401" not in str(error) and "Unauthorized" not in str(error) and "AuthError" not in type(error).__name__:
                fail(f"no-token error is not a 401: {type(error).__name__}: {error}")

        chroma = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False, allow_reset=True))
        pair = Pair(server.client(), chroma)
        scenario(pair)
        print(f"compat: {pair.steps} calls compared with chromadb {chromadb.__version__}, {len(failures)} differences",
              flush=True)

        acknowledged = load_test(server)
        check_metrics(server)
        code = server.stop()
        if code != 0:
            fail(f"cairn serve exited with {code} after SIGTERM")
        server = Server(folder)
        stored = set(server.client().get_collection("load").get(include=[])["ids"])
        if acknowledged - stored:
            fail(f"after restart {len(acknowledged - stored)} acknowledged writes are missing")
        else:
            print(f"shutdown: SIGTERM exit 0; after restart all {len(acknowledged)} acknowledged records are there",
                  flush=True)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print(f"check_chroma_compat: FAILED ({len(failures)} differences)")
        sys.exit(1)
    print("check_chroma_compat: OK — cairn serve matches chromadb through the official client")


if __name__ == "__main__":
    main()
