"""Two `cairn serve` nodes on one bucket (issue 10), each with its own catalog, driven by the official Chroma client:
writes on one are visible on the other within the staleness bound; a node killed with SIGKILL in the middle of a
stream of writes loses only what it had not acknowledged; a third node started on an empty catalog and cache answers
exactly as a warm one; and `cairn check` passes on the bucket. Needs the local S3 server that `make test` starts
($CAIRN_S3_TEST_URL) and $CAIRN_BIN; prints why it skips without them.
"""
import os
import sys

import cairn_serve
import chroma_venv

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import chromadb  # noqa: E402
from chromadb.config import Settings  # noqa: E402

BINARY = cairn_serve.BINARY
STALENESS_S = 10  # the bound this check holds nodes to (refresh interval 1 s, catalog sync 1 s, debug build)
failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", flush=True)


class Node:
    def __init__(self, url, catalog):
        self.process, self.port = cairn_serve.start(
            ["--store", url, "--catalog", catalog, "--port", "0", "--log-level", "warning"], "check_two_nodes")

    def client(self):
        return chromadb.HttpClient(host="127.0.0.1", port=self.port, settings=Settings(anonymized_telemetry=False))

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)


def vector(key):
    """The embedding of record (or query) `key`, a string: distinct keys, distinct vectors — records that shared one
    (a181 and c181 once did) tie, and two nodes may break a tie at the k-th place differently."""
    rng = random.Random(key)
    return [rng.uniform(-1, 1) for _ in range(8)]


def eventually(condition, what):
    start = time.time()
    while time.time() - start < STALENESS_S:
        try:
            if condition():
                return time.time() - start
        except Exception:  # noqa: BLE001 — not visible yet (e.g. collection unknown to that node)
            pass
        time.sleep(0.1)
    fail(f"{what} not within {STALENESS_S} s")
    return None


def add(collection, ids):
    collection.add(ids=ids, embeddings=[vector(i) for i in ids],
                   metadatas=[{"n": int(i[1:])} for i in ids], documents=[f"doc {i}" for i in ids])


def main():
    url = cairn_serve.s3_test_url("two-nodes")
    if not url or not os.path.exists(BINARY):
        print("check_two_nodes: skipped (no local S3 server: CAIRN_S3_TEST_URL unset, or no cairn binary)")
        return
    scratch = tempfile.mkdtemp(prefix="cairn-two-nodes-")
    nodes = []
    try:
        one = Node(url, os.path.join(scratch, "one.sqlite3"))
        two = Node(url, os.path.join(scratch, "two.sqlite3"))
        nodes += [one, two]
        on_one = one.client().create_collection("shared", embedding_function=None)
        add(on_one, [f"a{i}" for i in range(200)])
        seen = eventually(lambda: two.client().get_collection("shared").count() == 200, "node two seeing node one's writes")
        add(two.client().get_collection("shared"), [f"b{i}" for i in range(100)])
        seen_back = eventually(lambda: on_one.count() == 300, "node one seeing node two's writes")
        if seen is not None and seen_back is not None:
            print(f"two nodes: writes visible across nodes after {seen:.2f} s and {seen_back:.2f} s", flush=True)

        # A collection's configuration (embedding function included) and schema, as node two reads them.
        from chromadb.utils.embedding_functions import DefaultEmbeddingFunction
        configured = one.client().create_collection(
            "configured", configuration={"hnsw": {"space": "cosine", "ef_search": 33}},
            embedding_function=DefaultEmbeddingFunction())
        eventually(lambda: "configured" in [c.name for c in two.client().list_collections()], "node two seeing it")
        on_two = two.client().get_collection("configured")
        if on_two.configuration_json != configured.configuration_json:
            fail(f"configuration on node two {on_two.configuration_json} != node one's {configured.configuration_json}")
        elif (on_two.configuration_json.get("embedding_function") or {}).get("name") != "default":
            fail(f"node two lost the embedding function: {on_two.configuration_json}")
        elif on_two.schema.serialize_to_json() != configured.schema.serialize_to_json():
            fail("the schema differs on node two")
        else:
            print("two nodes: the configuration and schema read on node two equal node one's", flush=True)

        # A writer on node one, killed with SIGKILL while it writes.
        acknowledged, stop = [], threading.Event()

        def writer():
            collection = one.client().get_collection("shared")
            batch = 0
            while not stop.is_set():
                ids = [f"c{batch * 20 + i}" for i in range(20)]
                try:
                    add(collection, ids)
                except Exception:  # noqa: BLE001 — the node died mid-call: not acknowledged
                    return
                acknowledged.extend(ids)
                batch += 1

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(1.5)
        one.stop(signal.SIGKILL)
        stop.set()
        thread.join()
        nodes.remove(one)

        # A fresh node: empty catalog, empty caches.
        three = Node(url, os.path.join(scratch, "three.sqlite3"))
        nodes.append(three)
        fresh = three.client().get_collection("shared")
        stored = set(fresh.get(include=[])["ids"])
        expected = {f"a{i}" for i in range(200)} | {f"b{i}" for i in range(100)} | set(acknowledged)
        if expected - stored:
            fail(f"{len(expected - stored)} acknowledged records missing on a fresh node")
        warm = two.client().get_collection("shared")
        eventually(lambda: warm.count() == fresh.count(), "node two catching up with the killed writer's writes")
        same = all(
            warm.query(query_embeddings=[vector(f"q{q}")], n_results=10, include=["distances"])["ids"]
            == fresh.query(query_embeddings=[vector(f"q{q}")], n_results=10, include=["distances"])["ids"]
            for q in range(10))
        if not same:
            fail("a fresh node and a warm one answer differently")
        print(f"two nodes: SIGKILL during writes lost none of {len(acknowledged)} acknowledged records; a fresh node "
              f"answers as the warm one ({len(stored)} records)", flush=True)
        for node in list(nodes):
            node.stop()
            nodes.remove(node)
        check = subprocess.run([BINARY, "check", url, "--catalog", os.path.join(scratch, "check.sqlite3")],
                               capture_output=True, text=True)
        if check.returncode != 0:
            fail(f"cairn check failed on the bucket: {check.stdout[-2000:]}{check.stderr[-1000:]}")
    finally:
        for node in nodes:
            node.process.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        print(f"check_two_nodes: FAILED ({len(failures)})")
        sys.exit(1)
    print("check_two_nodes: OK — two nodes on one bucket agree, and a killed one lost no acknowledged write")


if __name__ == "__main__":
    main()
