"""Forks and versions through the official Chroma client (issue 20), against `cairn serve` on a folder: a fork made
with `collection.fork(new_name)` holds its parent's records, and diverging writes on either never show in the other;
`fork_count`; the Cairn extensions over plain HTTP (what docs/collections.md shows with `requests`): the list of
kept versions, get/query/count as of a version, a fork of an old version and a restore. Needs $CAIRN_BIN (or
.build/debug/cairn).
"""
import os
import sys

import cairn_serve
import chroma_venv

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import chromadb  # noqa: E402
from chromadb.config import Settings  # noqa: E402

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)


def vector(key):
    rng = random.Random(key)
    return [rng.uniform(-1, 1) for _ in range(8)]


def http(port, method, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v2/tenants/default_tenant/databases/default_database/collections/{path}",
        method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_compacted(collection, count):
    """Waits until the server's background compaction holds `count` records in a version."""
    deadline = time.time() + 60
    while time.time() < deadline:
        status = collection.get_indexing_status()
        if status.num_unindexed_ops == 0 and status.num_indexed_ops >= count:
            return
        time.sleep(0.1)
    check(False, f"compaction of {collection.name} did not finish")


def records(collection):
    got = collection.get(include=["documents"])
    return dict(zip(got["ids"], got["documents"]))


def main():
    folder = tempfile.mkdtemp(prefix="cairn-forks-")
    process, port = cairn_serve.start(
        ["--path", folder, "--port", "0", "--compaction-max-age", "0.2", "--compaction-quiet-period", "0.1",
         "--log-level", "warning"], "check_forks_and_versions")
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))
        parent = client.create_collection("parent", embedding_function=None)
        ids = [f"r{i}" for i in range(300)]
        parent.add(ids=ids, embeddings=[vector(i) for i in ids], documents=[f"doc {i}" for i in ids])
        wait_compacted(parent, 300)

        # A fork through the official client, then diverging writes.
        child = parent.fork("child")
        check(child.name == "child" and child.id != parent.id, f"fork returned {child.name} {child.id}")
        check(records(child) == records(parent), "the fork holds its parent's records")
        near = child.query(query_embeddings=[vector("r42")], n_results=1)
        check(near["ids"] == [["r42"]], f"the fork's query: {near['ids']}")
        parent.add(ids=["parent-only"], embeddings=[vector("p")], documents=["p"])
        child.add(ids=["child-only"], embeddings=[vector("c")], documents=["c"])
        child.delete(ids=["r1"])
        child.update(ids=["r2"], embeddings=[vector("r2")], documents=["changed in the fork"])
        p, c = records(parent), records(child)
        check("parent-only" in p and "parent-only" not in c, "a write to the parent shows in the fork")
        check("child-only" in c and "child-only" not in p, "a write to the fork shows in the parent")
        check("r1" in p and "r1" not in c, "a delete in the fork shows in the parent")
        check(p["r2"] == "doc r2" and c["r2"] == "changed in the fork", "an update in the fork shows in the parent")
        check(parent.fork_count() == 1 and child.fork_count() == 1,
              f"fork_count {parent.fork_count()} / {child.fork_count()}")
        wait_compacted(child, 300)

        # Versions over plain HTTP (Cairn extensions).
        status, versions = http(port, "GET", f"{parent.id}/versions")
        check(status == 200 and versions and versions[-1]["current"], f"versions: {status} {versions}")
        with_300 = [v["version"] for v in versions if v["record_count"] == 300]
        check(bool(with_300), f"a version of 300 records is listed: {versions}")
        if with_300:
            version = with_300[0]
            status, old = http(port, "POST", f"{parent.id}/get", {"as_of": {"version": version}})
            check(status == 200 and sorted(old["ids"]) == sorted(ids), "get as of a version")
            status, count = http(port, "GET", f"{parent.id}/count?as_of_version={version}")
            check(status == 200 and count == 300, f"count as of a version: {count}")
            status, found = http(port, "POST", f"{parent.id}/query",
                                 {"query_embeddings": [vector("r7")], "n_results": 1, "as_of": {"version": version}})
            check(status == 200 and found["ids"] == [["r7"]], f"query as of a version: {found}")
            status, forked = http(port, "POST", f"{parent.id}/fork", {"new_name": "old", "as_of": {"version": version}})
            check(status == 200 and forked["name"] == "old", f"fork of a version: {status} {forked}")
            check(sorted(client.get_collection("old").get()["ids"]) == sorted(ids), "the fork of a version")
            status, restored = http(port, "POST", f"{parent.id}/restore", {"version": version})
            check(status == 200 and restored["current"], f"restore: {status} {restored}")
            check("parent-only" not in records(parent), "the restore left the later write behind")
        status, missing = http(port, "GET", f"{parent.id}/count?as_of_version=9999")
        check(status == 404 and "does not keep version 9999" in missing.get("message", ""), f"{status} {missing}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print(f"check_forks_and_versions: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_forks_and_versions: fork, diverging writes, fork_count, versions, reads as of a version, a fork "
          "of a version and a restore through the official client and HTTP: ok")


if __name__ == "__main__":
    main()
