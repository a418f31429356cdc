"""Chroma compatibility of `cairn serve`: the official client (chromadb 1.5.9, from PyPI) drives a Cairn server and an
embedded chromadb (EphemeralClient) through the same calls, and every result and error class must agree. Then a short
bounded load test (concurrent clients, no errors, no lost writes) and a graceful-shutdown check (SIGTERM, restart,
every acknowledged write still there). Between them, the parity section (issue 17): configuration, schema, modify,
reset, indexing_status and malformed-configuration errors compared with Chroma's own server (`chroma run`), read
again after a compaction and after the restart. CHECK_AGAINST_CHROMA_RUN=1 runs only that section, with a second
`chroma run` in Cairn's place: a self-test of its checks.

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
import re  # noqa: E402
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
    def __init__(self, folder, token=TOKEN, arguments=()):
        self.process, self.port = cairn_serve.start(
            ["--path", folder, "--host", "127.0.0.1", "--port", "0", "--log-level", "warning", *arguments],
            "check_chroma_compat", env=dict(os.environ, CAIRN_AUTH_TOKEN=token))

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
# name is a 409 ChromaError over HTTP (as `chroma run` answers), while the embedded bindings raise InternalError.
ALLOWED_ERROR_DIFFERENCES = {"create duplicate": {("ChromaError", "InternalError")}}


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
                 "cairn_cache_misses_total", "cairn_reads_total", "cairn_read_fetched_bytes_total",
                 "cairn_tail_index_vectors", "cairn_tail_index_bytes"):
        if name not in text:
            fail(f"/metrics lacks {name}")
    print("metrics: background compaction caught up; /metrics reports requests, compactions and caches", flush=True)


# MARK: parity with Chroma (issue 17)
#
# What a Chroma user meets beyond the data path: the collection's configuration_json (its embedding function, hnsw and
# spann entries) and schema as the official client reads them back (from a new client, after a compaction, after a
# restart), modify(configuration=…), reset with and without --allow-reset, indexing_status, and the status, error
# name and message of malformed configurations. The reference is Chroma's own server, `chroma run` from .venv-chroma:
# where embedded chromadb answers differently (InvalidArgumentError where the server says ChromaError), Cairn follows
# the server. CHECK_AGAINST_CHROMA_RUN=1 runs this part alone with a second `chroma run` in Cairn's place: a
# self-test of the checks, which must all pass Chroma against Chroma.

import json  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

import chroma_run  # noqa: E402
from chromadb.api.types import Documents, EmbeddingFunction  # noqa: E402
from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2, register_embedding_function  # noqa: E402


class ParityEmbedding(EmbeddingFunction[Documents]):
    """A registered custom embedding function as a Chroma user writes one: small vectors computed from the text, no
    model. Its config (the scale) is what a reopened collection must rebuild it from."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def __call__(self, input):
        return [[float(len(t)) * self.scale, float(sum(map(ord, t)) % 101) * self.scale,
                 float(t.count("a")) * self.scale, self.scale] for t in input]

    @staticmethod
    def name():
        return "cairn_parity_embedding"

    def get_config(self):
        return {"scale": self.scale}

    @staticmethod
    def build_from_config(config):
        return ParityEmbedding(config["scale"])

    def default_space(self):
        return "cosine"

    def supported_spaces(self):
        return ["cosine", "l2", "ip"]


register_embedding_function(ParityEmbedding)

API = "/api/v2"
COLLECTIONS_PATH = f"{API}/tenants/default_tenant/databases/default_database/collections"


def raw_request(port, method, path, body=None, headers=None):
    """(status, parsed JSON body or text) of one HTTP request to 127.0.0.1."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode(errors="replace")


class CairnSide:
    """Cairn in the parity section: a `cairn serve` (Server), its port followed across restarts."""
    label = "cairn"
    answers_indexing_status = True

    def __init__(self, server, token=TOKEN):
        self.server, self.token = server, token

    @property
    def port(self):
        return self.server.port

    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def fresh(self):
        """A new client object, as a later process would make (each costs tens of milliseconds: used sparingly)."""
        return chromadb.HttpClient(host="127.0.0.1", port=self.port, headers=self.headers(),
                                   settings=Settings(anonymized_telemetry=False))

    def client(self):
        """This side's client for the current server process (a new one after a restart)."""
        if getattr(self, "_client_port", None) != self.port:
            self._client, self._client_port = self.fresh(), self.port
        return self._client

    def raw(self, method, path, body=None):
        return raw_request(self.port, method, path, body, self.headers())

    def wait_compacted(self, timeout=30):
        """True once /metrics shows no record waiting for the background compaction and none running."""
        deadline = time.time() + timeout
        while True:
            status, text = self.raw("GET", "/metrics")
            values = {}
            for line in (text if isinstance(text, str) else "").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] in ("cairn_compaction_pending_records", "cairn_compactions_running"):
                    values[parts[0]] = float(parts[1])
            if values.get("cairn_compaction_pending_records") == 0 and values.get("cairn_compactions_running") == 0:
                return True
            if time.time() > deadline:
                return False
            time.sleep(0.2)


class ChromaRunSide(CairnSide):
    """Chroma's own server in the parity section: the reference, or Cairn's stand-in for the self-test."""
    answers_indexing_status = False  # 500 InternalError: Method scout_logs is not implemented

    def __init__(self, run, label="chroma run"):
        super().__init__(run)
        self.label = label

    def wait_compacted(self, timeout=30):
        return True  # chroma run has no background compaction to wait for


def message_prefix(message):
    """A message up to its first backtick, and without serde's trailing position: Chroma's deserialisation errors
    name the field there, then list serde's expectations and a line/column that depend on the exact bytes sent."""
    return re.sub(r" at line \d+ column \d+$", "", message).split("`")[0]


def outcome(fn):
    try:
        return ("ok", normalize(fn()))
    except Exception as error:  # noqa: BLE001 — the error class (and message) is what is compared
        return ("error", type(error).__name__, str(error))


class Parity:
    """The same call on Cairn and on Chroma's server; the outcomes must agree. `messages`: None compares error classes
    only, "prefix" also the message up to its first backtick, "full" the whole message. `expect` ("ok" or "error") is
    what Chroma itself must do — if it does not, the check is wrong, not Cairn."""

    def __init__(self, cairn, chroma):
        self.cairn, self.chroma = cairn, chroma
        self.steps, self.failed = 0, 0

    def fail(self, message):
        self.failed += 1
        fail("parity: " + message)

    def check(self, step, fn, compare=None, messages=None, expect=None):
        self.steps += 1
        got, want = outcome(lambda: fn(self.cairn)), outcome(lambda: fn(self.chroma))
        if expect is not None and want[0] != expect:
            self.fail(f"{step}: {self.chroma.label} itself gave {short(want)}, the check expected {expect}")
            return got
        if got[0] == "error" or want[0] == "error":
            if got[0] != want[0] or got[1] != want[1]:
                self.fail(f"{step}: {self.cairn.label} {short(got)} vs {self.chroma.label} {short(want)}")
            elif messages == "prefix" and message_prefix(got[2]) != message_prefix(want[2]):
                self.fail(f"{step}: messages differ\n  {self.cairn.label}  {got[2][:300]}\n"
                          f"  {self.chroma.label} {want[2][:300]}")
            elif messages == "full" and got[2] != want[2]:
                self.fail(f"{step}: messages differ\n  {self.cairn.label}  {got[2][:400]}\n"
                          f"  {self.chroma.label} {want[2][:400]}")
            return got
        a, b = (compare(got[1]), compare(want[1])) if compare else (got[1], want[1])
        if not same(a, b):
            self.fail(f"{step}:\n  {self.cairn.label}  {a}\n  {self.chroma.label} {b}")
        return got


def short(result):
    return tuple(str(x)[:300] for x in result)


# What each collection of the parity section is created with (fresh arguments per call: the client writes into the
# configuration dict it is given).
PARITY_COLLECTIONS = {
    "par_default": lambda: dict(),  # the client's DefaultEmbeddingFunction
    "par_noef": lambda: dict(embedding_function=None),
    "par_custom": lambda: dict(embedding_function=ParityEmbedding(2.0)),
    "par_cos": lambda: dict(configuration={"hnsw": {"space": "cosine", "ef_search": 50}}),
    "par_cos_noef": lambda: dict(configuration={"hnsw": {"space": "cosine", "ef_search": 50}}, embedding_function=None),
    "par_spann": lambda: dict(configuration={"spann": {"space": "cosine"}}, embedding_function=None),
    "par_ip": lambda: dict(metadata={"hnsw:space": "ip"}, embedding_function=None),
    "par_ip_default": lambda: dict(metadata={"hnsw:space": "ip"}),
    "par_schema_cos": lambda: dict(schema=chromadb.Schema().create_index(
        config=chromadb.VectorIndexConfig(space="cosine")), embedding_function=None),
    "par_mod": lambda: dict(embedding_function=None),  # modified below
}
VECTORS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
CUSTOM_DOCUMENTS = ["alpha", "beta gamma", "delta banana"]


def configuration_view(collection):
    """`collection.configuration` as data: the embedding function the client rebuilt, by class, name and config."""
    configuration = collection.configuration
    ef = configuration.get("embedding_function")
    return {"hnsw": configuration.get("hnsw"), "spann": configuration.get("spann"),
            "embedding_function": None if ef is None else {
                "class": type(ef).__name__, "name": ef.name(), "config": ef.get_config()}}


def num_threads_values(value):
    if isinstance(value, dict):
        return [v for k, x in value.items() for v in ([x] if k == "num_threads" else num_threads_values(x))]
    if isinstance(value, list):
        return [v for x in value for v in num_threads_values(x)]
    return []


def without_num_threads(value):
    """A schema with num_threads (the server machine's core count by default) set aside: compared on its own."""
    if isinstance(value, dict):
        return {k: ("<num_threads>" if k == "num_threads" else without_num_threads(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [without_num_threads(v) for v in value]
    return value


# Collections whose configuration and schema differ from `chroma run`'s on purpose (docs/server.md): a `spann`
# configuration makes a SPANN index on Cairn, reported as Chroma's distributed engine reports it (`hnsw` null, the
# spann parameters), where Chroma's local server keeps only its space and serves HNSW. Their answers still agree.
DOCUMENTED_DIFFERENCES = ("par_spann",)


def parity_describe(p, stage, names=tuple(n for n in PARITY_COLLECTIONS if n not in DOCUMENTED_DIFFERENCES)):
    """Every view the official client has of each collection's configuration and schema, read by a new client object
    (as a later process would) with no embedding function given."""
    for name in names:
        memo = {}

        def read(s, n=name, memo=memo):
            if s.label not in memo:
                client = s.fresh()
                memo[s.label] = (client.get_collection(n), [c for c in client.list_collections() if c.name == n])
            return memo[s.label]

        p.check(f"{stage} {name}: get_collection configuration_json", lambda s: read(s)[0].configuration_json,
                expect="ok")
        p.check(f"{stage} {name}: list_collections configuration_json",
                lambda s: [c.configuration_json for c in read(s)[1]], expect="ok")
        p.check(f"{stage} {name}: configuration (rebuilt embedding function)",
                lambda s: configuration_view(read(s)[0]), expect="ok")
        p.check(f"{stage} {name}: schema (body, num_threads set aside)",
                lambda s: without_num_threads(read(s)[0]._model.serialized_schema), expect="ok")
        p.check(f"{stage} {name}: schema (client Schema.serialize_to_json, num_threads set aside)",
                lambda s: without_num_threads(read(s)[0].schema.serialize_to_json()), expect="ok")
        p.check(f"{stage} {name}: schema num_threads",
                lambda s: num_threads_values(read(s)[0]._model.serialized_schema), expect="ok")


def parity_query(p, stage):
    """Distances in each collection's space, and the custom function embedding a query text."""
    for name in PARITY_COLLECTIONS:
        if name == "par_custom":
            continue
        p.check(f"{stage} {name}: query distances", lambda s, n=name: result_fields(
            s.client().get_collection(n, embedding_function=None).query(
                query_embeddings=[[2.0, 0.1, 0.0], [-1.0, 0.5, 0.0]], n_results=3, include=["distances"]),
            ["ids", "distances"]), expect="ok")
    p.check(f"{stage} par_custom: documents embedded by the persisted function", lambda s: result_fields(
        s.fresh().get_collection("par_custom").get(include=["embeddings"]), ["ids", "embeddings"]), expect="ok")
    p.check(f"{stage} par_custom: query_texts embedded by the persisted function", lambda s: result_fields(
        s.fresh().get_collection("par_custom").query(query_texts=["banana"], n_results=3, include=["distances"]),
        ["ids", "distances"]), expect="ok")


def parity_configuration(p):
    """Items 1 and 2: configuration_json and schema as created, read back, and used."""
    for name, arguments in PARITY_COLLECTIONS.items():
        documented = name in DOCUMENTED_DIFFERENCES
        p.check(f"create {name}: configuration_json and metadata", lambda s, n=name, a=arguments: (
            lambda c: {"configuration_json": c.configuration_json, "metadata": c.metadata})(
            s.client().create_collection(n, **a())), expect="ok",
            compare=(lambda r: r["metadata"]) if documented else None)
    p.check("create hnsw and spann together", lambda s: s.client().create_collection(
        "par_both", configuration={"hnsw": {"space": "cosine"}, "spann": {"space": "ip"}}, embedding_function=None),
        messages="full", expect="error")
    p.check("hnsw and spann together created nothing", lambda s: s.client().get_collection("par_both"),
            expect="error")
    parity_describe(p, "created")

    for name in PARITY_COLLECTIONS:
        if name != "par_custom":
            p.check(f"add {name}", lambda s, n=name: s.client().get_collection(n, embedding_function=None).add(
                ids=["a", "b", "c"], embeddings=VECTORS), expect="ok")
    # A new client, no embedding function given: documents are embedded by the function rebuilt from the
    # collection's configuration (ParityEmbedding with scale 2), not by the client's default model.
    p.check("add par_custom documents through a new client", lambda s: s.fresh().get_collection("par_custom").add(
        ids=["a", "b", "c"], documents=CUSTOM_DOCUMENTS), expect="ok")
    parity_query(p, "created")

    conflict = lambda s: s.fresh().get_collection("par_custom", embedding_function=ONNXMiniLM_L6_V2())  # noqa: E731
    p.check("get_collection with a conflicting embedding function", conflict, messages="full", expect="error")
    for side in (p.cairn, p.chroma):
        result = outcome(lambda: conflict(side))
        if result[0] != "error" or result[1] != "ValueError" or "Embedding function conflict" not in result[2]:
            p.fail(f"get_collection with a conflicting embedding function on {side.label}: {short(result)}, "
                   f"not ValueError(…Embedding function conflict…)")
    p.check("get_collection par_custom with the same function", lambda s: configuration_view(
        s.client().get_collection("par_custom", embedding_function=ParityEmbedding(2.0))), expect="ok")


def parity_modify(p):
    """Item 4: modify(configuration=…) persists what Chroma lets change, refuses what it does not, as Chroma does."""
    col = lambda s: s.client().get_collection("par_mod", embedding_function=None)  # noqa: E731
    p.check("modify hnsw ef_search", lambda s: col(s).modify(configuration={"hnsw": {"ef_search": 77}}), expect="ok")
    p.check("after modify ef_search", lambda s: col(s).configuration_json["hnsw"]["ef_search"], expect="ok")
    p.check("modify hnsw space", lambda s: col(s).modify(configuration={"hnsw": {"space": "cosine"}}),
            messages="prefix", expect="error")
    p.check("modify hnsw ef_construction", lambda s: col(s).modify(configuration={"hnsw": {"ef_construction": 5}}),
            messages="prefix", expect="error")
    p.check("modify hnsw ef_search -1", lambda s: col(s).modify(configuration={"hnsw": {"ef_search": -1}}),
            messages="prefix", expect="error")
    p.check("modify hnsw num_threads, batch_size, sync_threshold, resize_factor", lambda s: col(s).modify(
        configuration={"hnsw": {"num_threads": 1, "batch_size": 50, "sync_threshold": 500, "resize_factor": 1.5}}),
        expect="ok")
    p.check("modify hnsw max_neighbors", lambda s: col(s).modify(configuration={"hnsw": {"max_neighbors": 8}}),
            expect="ok")
    # The client refuses this itself, from the schema the server returned (it must say the index is HNSW).
    p.check("modify spann on an hnsw collection", lambda s: col(s).modify(
        configuration={"spann": {"search_nprobe": 5}}), messages="full", expect="error")
    p.check("modify embedding function", lambda s: col(s).modify(
        configuration={"embedding_function": ParityEmbedding(3.0)}), expect="ok")
    p.check("modify metadata keeps the configuration", lambda s: (
        col(s).modify(metadata={"purpose": "parity"}),
        s.client().get_collection("par_mod", embedding_function=None).configuration_json)[1], expect="ok")
    parity_describe(p, "modified", ["par_mod"])


def spann_as_distributed_chroma(p, stage, modify=False):
    """The documented difference of `par_spann`, on Cairn alone: the official client sees a SPANN collection as
    Chroma's distributed engine shows one (configuration, schema), and may change its search settings."""
    if p.cairn.label != "cairn":
        return  # the self-test's stand-in is a `chroma run`, which keeps HNSW
    collection = p.cairn.fresh().get_collection("par_spann", embedding_function=None)
    configuration = collection.configuration_json
    spann = configuration.get("spann") or {}
    if configuration.get("hnsw") is not None or spann.get("space") != "cosine" or "search_nprobe" not in spann:
        p.fail(f"{stage} par_spann: configuration_json {configuration}, not hnsw null and the spann parameters")
    vector = collection.schema.keys["#embedding"].float_list.vector_index.config
    if vector.spann is None or vector.hnsw is not None or vector.space != "cosine":
        p.fail(f"{stage} par_spann: the schema's vector index is {vector}, not spann in cosine space")
    if modify:
        result = outcome(lambda: collection.modify(configuration={"spann": {"search_nprobe": 5, "ef_search": 40}}))
        after = p.cairn.fresh().get_collection("par_spann", embedding_function=None).configuration_json["spann"]
        if result[0] != "ok" or after.get("search_nprobe") != 5 or after.get("ef_search") != 40:
            p.fail(f"{stage} par_spann: modify spann search settings gave {short(result)}, then {after}")
        refused = outcome(lambda: collection.modify(configuration={"hnsw": {"ef_search": 5}}))
        if refused[0] != "error":
            p.fail(f"{stage} par_spann: modify hnsw on a spann collection was accepted")
    print(f"parity: {stage} par_spann is a SPANN collection to the official client (configuration, schema"
          f"{', modify' if modify else ''})", flush=True)


MALFORMED_CONFIGURATIONS = {
    "unknown hnsw field": {"hnsw": {"bogus": 1}},
    "negative ef_search": {"hnsw": {"ef_search": -1}},
    "string ef_search": {"hnsw": {"ef_search": "x"}},
    "unknown space": {"hnsw": {"space": "bogus"}},
    "embedding_function without type": {"embedding_function": {"name": "x"}},
    "embedding_function of unknown type": {"embedding_function": {"type": "custom"}},
    "hnsw and spann together": {"hnsw": {"space": "cosine"}, "spann": {"space": "ip"}},
}


def raw_error(result):
    """(status, error name, message up to its first backtick) of a raw answer."""
    status, body = result
    if isinstance(body, dict) and "error" in body:
        return status, body.get("error"), message_prefix(str(body.get("message")))
    return status, body


def parity_raw_errors(p):
    """Item 6: malformed configurations over raw HTTP, status code, error name and message as `chroma run`."""
    for case, configuration in MALFORMED_CONFIGURATIONS.items():
        name = "par_raw_" + case.replace(" ", "_")
        p.check(f"raw create, {case}", lambda s, n=name, c=configuration: raw_error(
            s.raw("POST", COLLECTIONS_PATH, {"name": n, "configuration": c})), expect="ok")
    path = lambda s: f"{COLLECTIONS_PATH}/{s.client().get_collection('par_mod', embedding_function=None).id}"  # noqa
    modifications = {"space": {"hnsw": {"space": "cosine"}}, "negative ef_search": {"hnsw": {"ef_search": -1}}}
    for case, configuration in modifications.items():
        p.check(f"raw modify, {case}", lambda s, c=configuration: raw_error(
            s.raw("PUT", path(s), {"new_configuration": c})), expect="ok")


def parity_records(p):
    """Items 5 and 7: uris, query(ids=...), #document in where, through the official client; over raw HTTP what
    Chroma's server accepts although its client refuses (a one-child $and, n_results 0, a delete without filters,
    duplicate ids applied in order)."""
    def collection(s):
        return s.client().get_or_create_collection("par_records", embedding_function=None)

    def setup(s):
        c = collection(s)
        c.add(ids=["a", "b", "c"], embeddings=[[1, 0], [0, 1], [1, 1]],
              documents=["hello world", "goodbye", "hello again"], metadatas=[{"k": 1}, {"k": 2}, None],
              uris=["u1", None, "u3"])
        return True

    p.check("records: add with uris", setup, expect="ok")
    p.check("records: get include uris", lambda s: result_fields(
        collection(s).get(include=["uris", "metadatas", "documents"]), ["ids", "uris", "metadatas", "documents"]),
        expect="ok")
    p.check("records: update a uri", lambda s: (collection(s).update(ids=["b"], uris=["u2"]),
            result_fields(collection(s).get(ids=["b"], include=["uris", "metadatas"]), ["uris", "metadatas"]))[1],
            expect="ok")
    p.check("records: query restricted to ids", lambda s: result_fields(
        collection(s).query(query_embeddings=[[1, 0]], n_results=5, ids=["b", "c"], include=["distances"]),
        ["ids", "distances"]), expect="ok")
    for label, where in [("#document $contains", {"#document": {"$contains": "hello"}}),
                         ("#document $not_contains", {"#document": {"$not_contains": "hello"}}),
                         ("#document $or metadata", {"$or": [{"#document": {"$contains": "good"}}, {"k": 1}]}),
                         ("#id $in", {"#id": {"$in": ["a", "c"]}})]:
        p.check(f"records: where {label}", lambda s, w=where: sorted(collection(s).get(where=w)["ids"]),
                expect="ok")
    p.check("records: where #document $eq", lambda s: collection(s).get(where={"#document": {"$eq": "goodbye"}}),
            messages="full", expect="error")

    def raw_on(s, action, body):
        return raw_error(s.raw("POST", f"{COLLECTIONS_PATH}/{collection(s).id}/{action}", body))

    # The client refuses $regex in where; Chroma's server takes it on #document.
    p.check("records: raw where #document $regex", lambda s: raw_on(
        s, "get", {"where": {"$or": [{"#document": {"$regex": "^good"}}, {"k": 1}]}, "include": []}), expect="ok")
    p.check("records: raw one-child $and", lambda s: raw_on(s, "get", {"where": {"$and": [{"k": 1}]}, "include": []}),
            expect="ok")
    p.check("records: raw n_results 0", lambda s: raw_on(
        s, "query", {"query_embeddings": [[1, 0]], "n_results": 0, "include": ["distances"]}), expect="ok")
    p.check("records: raw delete without filters", lambda s: raw_on(s, "delete", {}), expect="ok")
    p.check("records: raw duplicate ids", lambda s: (
        raw_on(s, "add", {"ids": ["x", "x"], "embeddings": [[1, 0], [0, 1]], "documents": ["first", "second"]}),
        raw_on(s, "upsert", {"ids": ["y", "y"], "embeddings": [[3, 3], [4, 4]], "documents": ["u1", "u2"]}),
        raw_on(s, "get", {"ids": ["x", "y"], "include": ["documents", "embeddings"]})), expect="ok")


def parity_errors(p):
    """Item 7: the same error class and message for the same mistake, through the official client."""
    client = lambda s: s.client()  # noqa: E731
    p.check("errors: duplicate collection", lambda s: (
        client(s).get_or_create_collection("par_dup", embedding_function=None),
        client(s).create_collection("par_dup", embedding_function=None)), messages="full", expect="error")
    p.check("errors: missing collection", lambda s: client(s).get_collection("par_missing", embedding_function=None),
            messages="full", expect="error")
    p.check("errors: invalid name", lambda s: client(s).create_collection("a", embedding_function=None),
            messages="full", expect="error")
    p.check("errors: duplicate tenant", lambda s: (chroma_admin(client(s)).create_tenant("par_tenant"),
                                                   chroma_admin(client(s)).create_tenant("par_tenant")),
            expect="error")
    p.check("errors: missing database", lambda s: chroma_admin(client(s)).get_database("par_nodb"), expect="error")


def parity_reset_disabled(p):
    """Item 3, reset not allowed: the same error through the client and the same status and body over HTTP."""
    p.check("reset without --allow-reset", lambda s: s.client().reset(), messages="full", expect="error")
    p.check("raw reset without --allow-reset", lambda s: s.raw("POST", f"{API}/reset"), expect="ok")
    p.check("collections still there after a refused reset", lambda s: sorted(
        c.name for c in s.client().list_collections() if c.name.startswith("par_")), expect="ok")


def parity_reset_allowed(cairn, chroma):
    """Item 3, reset allowed (`cairn serve --allow-reset`, Chroma's allow_reset): everything is wiped — collections,
    databases, tenants — the default tenant and database remain, and work goes on."""
    p = Parity(cairn, chroma)
    admin = lambda s: chromadb.AdminClient(s.client().get_settings())  # noqa: E731
    p.check("reset setup: tenant", lambda s: admin(s).create_tenant("par_tenant"), expect="ok")
    p.check("reset setup: database", lambda s: admin(s).create_database("par_db"), expect="ok")
    p.check("reset setup: database in tenant", lambda s: admin(s).create_database("par_db2", tenant="par_tenant"),
            expect="ok")
    p.check("reset setup: collections", lambda s: [s.client().create_collection(
        n, embedding_function=None).add(ids=["x", "y"], embeddings=[[1.0, 2.0], [3.0, 4.0]]) for n in
        ("par_r1", "par_r2")], expect="ok")
    p.check("reset", lambda s: s.client().reset(), expect="ok")
    p.check("after reset: list_collections", lambda s: [c.name for c in s.client().list_collections()], expect="ok")
    p.check("after reset: count_collections", lambda s: s.client().count_collections(), expect="ok")
    p.check("after reset: databases", lambda s: [d["name"] for d in admin(s).list_databases()], expect="ok")
    p.check("after reset: database gone", lambda s: admin(s).get_database("par_db"), expect="error")
    p.check("after reset: tenant gone", lambda s: admin(s).get_tenant("par_tenant"), expect="error")
    p.check("after reset: create again", lambda s: (lambda c: (c.name, c.count(), c.configuration_json))(
        s.client().create_collection("par_r1", embedding_function=None)), expect="ok")
    p.check("after reset: add and get", lambda s: (
        s.client().get_collection("par_r1", embedding_function=None).add(ids=["z"], embeddings=[[1.0]]),
        s.client().get_collection("par_r1", embedding_function=None).get(include=["embeddings"])["embeddings"])[1],
        expect="ok")
    p.check("reset twice", lambda s: s.client().reset(), expect="ok")
    return p


def indexing_problems(status):
    problems = []
    fields = ("num_indexed_ops", "num_unindexed_ops", "total_ops")
    for field in fields:
        value = getattr(status, field, None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{field} = {value!r}")
    progress = getattr(status, "op_indexing_progress", None)
    if not isinstance(progress, (int, float)) or isinstance(progress, bool) or not 0 <= progress <= 1:
        problems.append(f"op_indexing_progress = {progress!r}")
    if not problems and status.num_indexed_ops + status.num_unindexed_ops != status.total_ops:
        problems.append(f"{status.num_indexed_ops} indexed + {status.num_unindexed_ops} unindexed != "
                        f"{status.total_ops} total")
    return problems


def parity_indexing_status(p):
    """Item 5: Chroma's local server cannot answer indexing_status (500 InternalError, `scout_logs` not implemented;
    embedded: NotImplementedError), so Cairn is checked on its own: the counts add up, the progress is a fraction, and
    once the background compaction ran nothing is left unindexed."""
    want = outcome(lambda: p.chroma.client().get_collection("par_noef", embedding_function=None).get_indexing_status())
    print(f"parity: indexing_status on {p.chroma.label}: {short(want)}", flush=True)
    side = p.cairn
    collection = side.client().create_collection("par_idx", embedding_function=None)
    for batch in range(2):
        collection.add(ids=[f"i{batch}-{i}" for i in range(10)], embeddings=[[float(i), 1.0] for i in range(10)])
    got = outcome(lambda: side.client().get_collection("par_idx", embedding_function=None).get_indexing_status())
    if not side.answers_indexing_status:  # the self-test: Chroma answers as the reference did
        if got[:2] != want[:2]:
            p.fail(f"indexing_status: {side.label} {short(got)} vs {p.chroma.label} {short(want)}")
        print(f"parity: indexing_status not checked on {side.label} (it cannot answer)", flush=True)
        return
    status = None
    try:
        status = side.client().get_collection("par_idx", embedding_function=None).get_indexing_status()
    except Exception as error:  # noqa: BLE001
        p.fail(f"indexing_status after adds: {type(error).__name__}: {str(error)[:300]}")
        return
    problems = indexing_problems(status)
    if problems:
        p.fail(f"indexing_status after adds: {', '.join(problems)}")
    first, waited = vars(status).copy(), time.time()
    deadline = time.time() + 30
    while status.num_unindexed_ops != 0 and time.time() < deadline:
        time.sleep(0.2)
        status = side.client().get_collection("par_idx", embedding_function=None).get_indexing_status()
    problems = indexing_problems(status)
    if status.num_unindexed_ops != 0 or status.op_indexing_progress != 1 or problems:
        p.fail(f"indexing_status 30 s after the last add: {vars(status)} {', '.join(problems)}")
    collection_id = side.client().get_collection("par_idx", embedding_function=None).id
    status_code, body = side.raw("GET", f"{COLLECTIONS_PATH}/{collection_id}/indexing_status")
    if status_code != 200 or not isinstance(body, dict) or set(body) != {
            "num_indexed_ops", "num_unindexed_ops", "total_ops", "op_indexing_progress"}:
        p.fail(f"raw GET indexing_status: {status_code} {str(body)[:300]}")
    print(f"parity: indexing_status on {side.label}: right after 2 adds {first}, {time.time() - waited:.1f}s later "
          f"{vars(status)}", flush=True)


def parity_before_restart(p, reset_sides):
    """Everything of the parity section up to the restart. reset_sides() gives (cairn, chroma, stop) with reset
    allowed on both, or raises."""
    started = time.time()
    parity_configuration(p)
    parity_modify(p)
    spann_as_distributed_chroma(p, "created", modify=True)
    parity_raw_errors(p)
    parity_records(p)
    parity_errors(p)
    parity_reset_disabled(p)
    parity_indexing_status(p)
    if not p.cairn.wait_compacted(30):
        p.fail(f"{p.cairn.label}: the background compaction did not catch up within 30 s")
    parity_describe(p, "after compaction")
    parity_query(p, "after compaction")
    try:
        cairn, chroma, stop = reset_sides()
    except BaseException as error:  # noqa: BLE001 — cairn_serve.start exits with SystemExit when serve refuses
        p.fail(f"reset allowed: could not start the servers: {type(error).__name__}: {str(error)[-600:]}")
    else:
        try:
            r = parity_reset_allowed(cairn, chroma)
            p.steps, p.failed = p.steps + r.steps, p.failed + r.failed
            print(f"parity: reset allowed: {r.steps} calls compared, {r.failed} differences", flush=True)
        finally:
            stop()
    print(f"parity: {p.steps} calls compared with {p.chroma.label} before the restart, {p.failed} differences, "
          f"{time.time() - started:.1f}s", flush=True)


def parity_after_restart(p):
    started, steps, failed = time.time(), p.steps, p.failed
    parity_describe(p, "after restart")
    parity_query(p, "after restart")
    spann_as_distributed_chroma(p, "after restart")
    p.check("after restart: conflicting embedding function", lambda s: s.fresh().get_collection(
        "par_custom", embedding_function=ONNXMiniLM_L6_V2()), messages="full", expect="error")
    print(f"parity: {p.steps - steps} calls compared with {p.chroma.label} after the restart, {p.failed - failed} "
          f"differences, {time.time() - started:.1f}s", flush=True)


def parity_self_test():
    """CHECK_AGAINST_CHROMA_RUN=1: the parity section with a second `chroma run` in Cairn's place."""
    folder = tempfile.mkdtemp(prefix="cairn-parity-selftest-")
    runs = []
    try:
        def start(name, allow_reset=False):
            runs.append(chroma_run.ChromaRun(os.path.join(folder, name), allow_reset=allow_reset))
            return runs[-1]

        reference, stand_in = start("reference"), start("stand-in")
        p = Parity(ChromaRunSide(stand_in, "chroma run (in cairn's place)"), ChromaRunSide(reference))

        def reset_sides():
            a, b = start("reset-stand-in", allow_reset=True), start("reset-reference", allow_reset=True)
            return (ChromaRunSide(a, "chroma run (in cairn's place)"), ChromaRunSide(b),
                    lambda: (a.stop(), b.stop()))

        parity_before_restart(p, reset_sides)
        stand_in.restart()
        parity_after_restart(p)
    finally:
        for run in runs:
            run.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print(f"check_chroma_compat parity self-test: FAILED ({len(failures)} differences)")
        sys.exit(1)
    print("check_chroma_compat parity self-test: OK — every parity check passes Chroma against Chroma")


def cairn_reset_sides(folder):
    """A `cairn serve --allow-reset` and a `chroma run` with allow_reset, each over a folder of its own."""
    run = chroma_run.ChromaRun(os.path.join(folder, "reset-reference"), allow_reset=True)
    try:
        server = Server(os.path.join(folder, "reset-cairn"), arguments=["--allow-reset"])
    except BaseException:
        run.stop()
        raise
    return CairnSide(server), ChromaRunSide(run), lambda: (server.stop(), run.stop())


def main():
    if os.environ.get("CHECK_AGAINST_CHROMA_RUN") == "1":
        parity_self_test()
        return
    folder = tempfile.mkdtemp(prefix="cairn-compat-")
    parity_folder = tempfile.mkdtemp(prefix="cairn-compat-parity-")
    server = Server(folder)
    reference, parity = None, None
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

        try:
            reference = chroma_run.ChromaRun(os.path.join(parity_folder, "reference"))
        except RuntimeError as error:
            fail(f"parity: chroma run did not start: {error}")
        if reference is not None:
            parity = Parity(CairnSide(server), ChromaRunSide(reference))
            parity_before_restart(parity, lambda: cairn_reset_sides(parity_folder))

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
        if parity is not None:
            parity.cairn.server = server
            parity_after_restart(parity)
    finally:
        server.stop()
        if reference is not None:
            reference.stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(parity_folder, ignore_errors=True)
    if failures:
        print(f"check_chroma_compat: FAILED ({len(failures)} differences)")
        sys.exit(1)
    print("check_chroma_compat: OK — cairn serve matches chromadb through the official client")


if __name__ == "__main__":
    main()
