"""Hostile input against a real `cairn serve` (issue 16), from outside, with the standard library only:

1. extreme integers (limit, offset, n_results, delete limit, list-collections paging: 0, 1, 2^31, 2^53, 2^62,
   2^63-1, -1, -2^63, 2^64, 1e300, "x", null, 1.5) on a collection in the log and on a compacted one: every
   answer is a 200 with the right records or a 4xx with a JSON error, never a 5xx or a dropped connection, and
   the heartbeat answers after each; then a seeded fuzz of get/query/delete/add bodies (no 5xx, still alive);
2. n_results above 100,000 on a compacted collection answers 200 with every record;
3. an add of 50,000 ids each given twice is handled in linear time (< 20 s): as Chroma's server does, the raw write is
   applied in order (the first add of an id wins), so 50,000 records are stored (the embedded API and the official
   client refuse duplicates; that check is linear too, see CollectionAPITests);
4. every metric named in docs/operations.md, docs/server.md and docs/guide.md is on /metrics under that name, and
   no series is named `…_total_total` or `…_seconds_seconds`;
5. auth hardening: an empty --auth-token or CAIRN_AUTH_TOKEN refuses to start; --host 0.0.0.0 without a token
   warns on stderr, with a token it does not;
6. a log backlog left by a server with background compaction off is compacted after a restart with no new write.

Folder stores under a temporary directory, traffic to 127.0.0.1 only. Needs the cairn binary ($CAIRN_BIN, else
.build/debug/cairn); exits non-zero on any failure, printing the request and the response.
"""
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import cairn_serve
import chroma_venv

WHO = "check_hostile_server"
BINARY = cairn_serve.BINARY
ROOT = chroma_venv.ROOT
COLLECTIONS = "/api/v2/tenants/default_tenant/databases/default_database/collections"
EXTREMES = [0, 1, 2**31, 2**53, 2**62, 2**63 - 1, -1, -(2**63), 2**64, 1e300, "x", None, 1.5]
REQUEST_TIMEOUT_S = 15

failures = []
passed = 0


def fail(check, message):
    failures.append(f"[{check}] {message}")
    print(f"FAIL [{check}]: {message}", flush=True)


def ok():
    global passed
    passed += 1


def short(value, limit=400):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


class ServerDown(Exception):
    """The server stopped answering: the rest of that section is skipped (its failure is already recorded)."""


def clean_env(**extra):
    """The environment without an inherited CAIRN_AUTH_TOKEN (the checks choose their own), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "CAIRN_AUTH_TOKEN"}
    env.update(extra)
    return env


def drain(stream, sink):
    """Reads `stream` to its end into the list `sink` (so a chatty server never blocks on a full pipe)."""
    for line in iter(stream.readline, ""):
        sink.append(line)
        if len(sink) > 2000:
            del sink[:1000]


# MARK: servers and requests


class Server:
    def __init__(self, folder, *extra):
        self.process, self.port = cairn_serve.start(
            ["--path", folder, "--host", "127.0.0.1", "--port", "0", "--log-level", "warning", *extra], WHO,
            env=clean_env())
        self.log = []
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=drain, args=(stream, self.log), daemon=True).start()

    def stderr_tail(self):
        return "".join(self.log[-15:])[-2000:]

    def stop(self):
        """SIGTERM; returns the exit code (SIGKILL after 30 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def request(self, method, path, body=None, raw=None, timeout=REQUEST_TIMEOUT_S):
        """(status, text); status None when the connection failed or timed out (then text says how)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = raw if raw is not None else (json.dumps(body) if body is not None else None)
            headers = {"Content-Type": "application/json"} if data is not None else {}
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    def json(self, check, method, path, body=None):
        """A request that must answer 200 with JSON: the decoded JSON, or None after a recorded failure."""
        status, text = self.request(method, path, body)
        if status != 200:
            fail(check, f"{method} {path} {short(body) if body is not None else ''} → {status} {short(text)}")
            if status is None:
                self.alive(check, f"{method} {path}")
            return None
        return json.loads(text)

    def alive(self, check, after):
        """The heartbeat must answer 200; raises ServerDown (after recording it) when it does not."""
        status, text = self.request("GET", "/api/v2/heartbeat", timeout=10)
        if status == 200:
            return
        code = self.process.poll()
        fail(check, f"heartbeat after {after} → {status} {short(text)}; process "
                    f"{'exited with ' + str(code) if code is not None else 'still running (wedged?)'}; "
                    f"stderr: {self.stderr_tail()!r}")
        raise ServerDown()

    def metrics(self):
        """{series name: [(labels text, value)]} from /metrics."""
        status, text = self.request("GET", "/metrics")
        if status != 200:
            raise RuntimeError(f"GET /metrics → {status} {short(text)}")
        series = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
            if match:
                series.setdefault(match.group(1), []).append((match.group(2) or "", float(match.group(3))))
        return series

    def create(self, check, name):
        collection = self.json(check, "POST", COLLECTIONS, {"name": name})
        return collection["id"] if collection else None

    def add(self, check, cid, ids, embeddings, metadatas=None, timeout=REQUEST_TIMEOUT_S):
        body = {"ids": ids, "embeddings": embeddings}
        if metadatas is not None:
            body["metadatas"] = metadatas
        status, text = self.request("POST", f"{COLLECTIONS}/{cid}/add", body, timeout=timeout)
        if status not in (200, 201):
            fail(check, f"add of {len(ids)} records → {status} {short(text)}")
            return False
        return True


def metric(series, name, label=None):
    """The sum of `name`'s samples (those whose labels contain `label`)."""
    return sum(value for labels, value in series.get(name, []) if label is None or label in labels)


def wait_compacted(check, server, timeout_s, minimum_ok=1, minimum_records=0):
    """Waits (bounded) until `minimum_ok` compactions succeeded, having folded at least `minimum_records` log records,
    and nothing is pending or running; returns the seconds, or None after recording a failure."""
    start = time.time()
    series = {}
    while time.time() - start < timeout_s:
        try:
            series = server.metrics()
        except RuntimeError as error:
            fail(check, str(error))
            return None
        if (metric(series, "cairn_compactions_total", 'outcome="ok"') >= minimum_ok
                and metric(series, "cairn_compacted_log_records_total") >= minimum_records
                and metric(series, "cairn_compaction_pending_records") == 0
                and metric(series, "cairn_compactions_running") == 0):
            return time.time() - start
        time.sleep(0.2)
    fail(check, f"no finished compaction within {timeout_s} s: compactions_total "
                f"{series.get('cairn_compactions_total')}, compacted_log_records_total "
                f"{series.get('cairn_compacted_log_records_total')}, pending "
                f"{series.get('cairn_compaction_pending_records')}, "
                f"running {series.get('cairn_compactions_running')}")
    return None


# MARK: what an answer must be


def classify(value):
    """How a request field holding `value` must be answered: ("absent"), ("int", n) — a 200 —, ("huge", n) — a 4xx,
    or a 200 read as that very large number —, or ("reject") — a 4xx."""
    if value is None:
        return ("absent", None)
    if isinstance(value, bool):
        return ("reject", None)
    if isinstance(value, int):
        if value < 0:
            return ("reject", None)
        return ("int", value) if value < 2**63 else ("huge", value)
    if isinstance(value, float) and value.is_integer() and value >= 2**63:
        return ("huge", 10**400)
    return ("reject", None)


def is_error_body(text):
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("error") or body.get("message"))


def judge(check, server, what, status, text, may_succeed, must_succeed, validate):
    """One answer: 200 checked by `validate` (returns a problem or None) when a 200 is allowed, 4xx with a JSON error
    when a 4xx is allowed; never a 5xx or a dropped connection. Then the heartbeat."""
    if status is None:
        fail(check, f"{what} → connection failed: {text}")
    elif status >= 500:
        fail(check, f"{what} → {status} {short(text)}")
    elif status == 200:
        if not may_succeed:
            fail(check, f"{what} → 200 (expected a 4xx) {short(text)}")
        else:
            try:
                problem = validate(json.loads(text))
            except (ValueError, KeyError, TypeError, IndexError) as error:
                problem = f"unreadable answer ({type(error).__name__}: {error})"
            if problem:
                fail(check, f"{what} → 200 but {problem}: {short(text)}")
            else:
                ok()
    elif 400 <= status < 500:
        if must_succeed:
            fail(check, f"{what} → {status} (expected 200) {short(text)}")
        elif not is_error_body(text):
            fail(check, f"{what} → {status} without a JSON error/message body: {short(text)}")
        else:
            ok()
    else:
        fail(check, f"{what} → unexpected {status} {short(text)}")
    server.alive(check, what)


def squared_l2(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b))


# MARK: check 1 — extreme integers


def extreme_integers(check, server, cid, records, destructive=False):
    """records: {id: embedding}, all in the collection. Gets, queries, deletes with every pair of extreme values."""
    base = f"{COLLECTIONS}/{cid}"
    reference = server.json(check, "POST", f"{base}/get", {"include": []})
    if reference is None:
        return
    order = reference["ids"]
    if sorted(order) != sorted(records):
        fail(check, f"get {{}} returned {order}, expected the ids {sorted(records)}")
        return
    requests = 0

    # get: every (limit, offset) pair.
    for limit, offset in itertools.product(EXTREMES, EXTREMES):
        (lkind, lvalue), (okind, ovalue) = classify(limit), classify(offset)
        kinds = {lkind, okind}
        body = {"limit": limit, "offset": offset, "include": ["embeddings"]}
        start = ovalue if ovalue is not None else 0
        expected = order[start:] if lvalue is None else order[start:start + lvalue]

        def validate(answer, expected=expected):
            if answer["ids"] != expected:
                return f"ids {answer['ids']}, expected {expected}"
            for rid, embedding in zip(answer["ids"], answer["embeddings"]):
                if any(abs(x - y) > 1e-6 for x, y in zip(embedding, records[rid])):
                    return f"embedding of {rid} is {embedding}, expected {records[rid]}"
            return None

        may_succeed = "reject" not in kinds
        must_succeed = kinds <= {"int", "absent"} and lvalue != 0
        status, text = server.request("POST", f"{base}/get", body)
        judge(check, server, f"POST {base}/get {json.dumps(body)}", status, text, may_succeed, must_succeed, validate)
        requests += 1

    # query: every n_results, two query vectors; answers must be the exact nearest records, nearest first.
    queries = [[-0.5, 0.3], [len(records) - 0.3, -0.2]]
    ranked = [sorted(records, key=lambda rid: squared_l2(records[rid], q)) for q in queries]
    for n in EXTREMES:
        kind, value = classify(n)
        body = {"query_embeddings": queries, "n_results": n, "include": ["distances"]}
        count = 10 if kind == "absent" else value

        def validate(answer, count=count):
            for q, (query, ids, distances) in enumerate(zip(queries, answer["ids"], answer["distances"])):
                expected = ranked[q][:count]
                if ids != expected:
                    return f"query {q}: ids {ids}, expected {expected}"
                if any(b < a for a, b in zip(distances, distances[1:])):
                    return f"query {q}: distances not ascending {distances}"
                for rid, distance in zip(ids, distances):
                    want = squared_l2(records[rid], query)
                    if abs(distance - want) > 1e-3 + 1e-4 * want:
                        return f"query {q}: distance of {rid} is {distance}, expected {want}"
            if len(answer["ids"]) != len(queries):
                return f"{len(answer['ids'])} result lists for {len(queries)} queries"
            return None

        status, text = server.request("POST", f"{base}/query", body)
        judge(check, server, f"POST {base}/query {json.dumps(body)}", status, text, kind != "reject",
              kind in ("int", "absent") and value != 0, validate)
        requests += 1

    # delete with a limit: filters that match nothing leave the collection as it was.
    for limit in EXTREMES:
        kind, value = classify(limit)
        for selector in ({"ids": ["no-such-id"]}, {"where": {"g": -12345}}):
            body = dict(selector, limit=limit)
            status, text = server.request("POST", f"{base}/delete", body)
            judge(check, server, f"POST {base}/delete {json.dumps(body)}", status, text, kind != "reject", False,
                  lambda answer: None if answer.get("deleted") in (0, 1) and
                  (answer["deleted"] == 0 or "ids" in selector) else f"deleted {answer.get('deleted')}")
            requests += 1
    counted = server.json(check, "GET", f"{base}/count")
    if counted is not None and counted != len(records):
        fail(check, f"GET {base}/count → {counted} after deletes that match nothing, expected {len(records)}")

    if destructive:
        # delete where-all with limit 1, then with 2^63-1: exactly one record, then all the others.
        everything = {"where": {"g": 1}}
        for limit, deleted, left in ((1, 1, len(records) - 1), (2**63 - 1, len(records) - 1, 0)):
            body = dict(everything, limit=limit)
            status, text = server.request("POST", f"{base}/delete", body)
            judge(check, server, f"POST {base}/delete {json.dumps(body)}", status, text, True, True,
                  lambda answer, deleted=deleted: None if answer.get("deleted") == deleted
                  else f"deleted {answer.get('deleted')}, expected {deleted}")
            counted = server.json(check, "GET", f"{base}/count")
            if counted is not None and counted != left:
                fail(check, f"GET {base}/count → {counted} after delete {json.dumps(body)}, expected {left}")
            requests += 1
    return requests


def delete_limits(check, server):
    """delete where-all with each extreme limit on a fresh 3-record collection: min(limit, 3) records go."""
    requests = 0
    for i, limit in enumerate(EXTREMES):
        kind, value = classify(limit)
        cid = server.create(check, f"delete-limit-{i}")
        if cid is None or not server.add(check, cid, ["a", "b", "c"], [[1, 2], [3, 4], [5, 6]], [{"g": 1}] * 3):
            continue
        body = {"where": {"g": 1}, "limit": limit}
        gone = 3 if value is None else min(value, 3)
        status, text = server.request("POST", f"{COLLECTIONS}/{cid}/delete", body)
        judge(check, server, f"POST …/delete-limit-{i}/delete {json.dumps(body)}", status, text, kind != "reject",
              kind in ("int", "absent") and value != 0,
              lambda answer, gone=gone: None if answer.get("deleted") == gone
              else f"deleted {answer.get('deleted')}, expected {gone}")
        counted = server.json(check, "GET", f"{COLLECTIONS}/{cid}/count")
        expected_left = 3 - gone if status == 200 else 3
        if counted is not None and counted != expected_left:
            fail(check, f"delete-limit-{i}: count {counted} after {json.dumps(body)} → {status}, "
                        f"expected {expected_left}")
        requests += 1
    return requests


def list_paging(check, server):
    """GET …/collections?limit=&offset= with every pair of extreme values (as text; null: the parameter left out)."""
    everything = server.json(check, "GET", COLLECTIONS)
    if everything is None:
        return 0
    names = [c["name"] for c in everything]

    def text(value):
        return json.dumps(value) if not isinstance(value, str) else value

    requests = 0
    for limit, offset in itertools.product(EXTREMES, EXTREMES):
        (lkind, lvalue), (okind, ovalue) = classify(limit), classify(offset)
        kinds = {lkind, okind}
        parameters = [f"{name}={text(value)}" for name, value in (("limit", limit), ("offset", offset))
                      if value is not None]
        path = COLLECTIONS + ("?" + "&".join(parameters) if parameters else "")
        start = ovalue if ovalue is not None else 0
        expected = names[start:] if lvalue is None else names[start:start + lvalue]
        status, body = server.request("GET", path)
        judge(check, server, f"GET {path}", status, body, "reject" not in kinds,
              kinds <= {"int", "absent"} and lvalue != 0,
              lambda answer, expected=expected: None if [c["name"] for c in answer] == expected
              else f"names {[c['name'] for c in answer]}, expected {expected}")
        requests += 1
    return requests


def random_json(rng, depth=0):
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(EXTREMES)
    if roll < 0.4:
        return rng.randint(-(10**25), 10**25)
    if roll < 0.5:
        return rng.choice([True, False, "", "é" * rng.randint(1, 5), "$and", "$in", "embeddings", -0.0, 3.4e38,
                           1e-320, 2**63, -(2**63) - 1])
    if roll < 0.6:
        return rng.uniform(-1, 1) * 10 ** rng.randint(-30, 300)
    if depth < 3 and roll < 0.8:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 3:
        return {rng.choice(["g", "$gt", "$in", "$and", "$contains", "x", ""]): random_json(rng, depth + 1)
                for _ in range(rng.randint(0, 2))}
    return None


PLAUSIBLE = {
    "ids": [["f1"], ["f1", "f2"], [], ["f" + str(n) for n in range(5)], ["a"], ["f1", "f1"]],
    "embeddings": [[[1, 2]], [[1, 2], [3, 4]], [[3.4e38, -3.4e38]], [[1]], [[0, 0, 0]], [], [[1e300, 1]]],
    "query_embeddings": [[[1, 2]], [[0, 0], [5, 5]], [[3.4e38, 3.4e38]], [[1]], [], [[1e-45, -1e-45]]],
    "metadatas": [[{"g": 1}], [{"g": 2**63 - 1}], [{"g": -(2**63)}], [{"g": 2**64}], [{"g": 1e300}], [None],
                  [{"g": 1}, {"g": 2}]],
    "documents": [["doc"], [""], ["doc", "two"], [None]],
    "where": [{"g": 1}, {"g": {"$gt": 2**63 - 1}}, {"g": {"$lt": -(2**63)}}, {"g": {"$in": [1, 2**64, 1e300]}},
              {"$and": [{"g": 1}, {"g": {"$ne": 2}}]}, {"$or": []}, {"g": {"$gte": 1e300}}],
    "where_document": [{"$contains": "doc"}, {"$not_contains": ""}, {"$and": []}],
    "include": [["distances", "embeddings"], ["documents", "metadatas"], [], ["uris"]],
}
FIELDS = {
    "get": ["ids", "where", "where_document", "limit", "offset", "include"],
    "query": ["query_embeddings", "n_results", "where", "where_document", "include"],
    "delete": ["ids", "where", "where_document", "limit"],
    "add": ["ids", "embeddings", "metadatas", "documents"],
}
RAW_BODIES = ['{"limit": 1', '{"limit": Infinity}', '{"n_results": NaN}', "[]", "", "null", '"x"',
              '{"limit": 1e999999}', '{"ids": ["\\ud800"]}', '{"limit": -0}', '{"offset": 00}']


def valid_body(op, rng):
    """A body the server accepts, for the fuzz to spoil one or two fields of."""
    n = rng.randint(0, 40)
    if op == "get":
        return {"limit": rng.randint(1, 5), "offset": rng.randint(0, 3), "include": ["embeddings", "metadatas"]}
    if op == "query":
        return {"query_embeddings": [[rng.uniform(-5, 5), rng.uniform(-5, 5)]], "n_results": rng.randint(1, 5),
                "include": ["distances", "metadatas"]}
    if op == "delete":
        return {"ids": [f"z{n}"]} if rng.random() < 0.5 else {"where": {"g": n}, "limit": 1}
    return {"ids": [f"z{n}"], "embeddings": [[rng.uniform(-5, 5), rng.uniform(-5, 5)]], "metadatas": [{"g": n}],
            "documents": [f"doc {n}"]}


def fuzz(check, server, cid, count=300, seed=16, deadline_s=40):
    """`count` seeded requests: a valid get/query/delete/add body with one or two fields replaced by an extreme or
    random JSON value (and now and then a malformed body): never a 5xx, the heartbeat answers after each."""
    rng = random.Random(seed)
    start = time.time()
    statuses = {}
    for i in range(count):
        if time.time() - start > deadline_s:
            fail(check, f"fuzz: only {i} of {count} requests within {deadline_s} s")
            break
        op = rng.choice(sorted(FIELDS))
        path = f"{COLLECTIONS}/{cid}/{op}"
        if rng.random() < 0.05:
            raw = rng.choice(RAW_BODIES)
            status, text = server.request("POST", path, raw=raw)
            what = f"POST {path} {raw!r}"
        else:
            body = valid_body(op, rng)
            for field in rng.sample(FIELDS[op], rng.randint(1, 2)):
                roll = rng.random()
                if field in PLAUSIBLE and roll < 0.4:
                    body[field] = rng.choice(PLAUSIBLE[field])
                elif roll < 0.7:
                    body[field] = rng.choice(EXTREMES)
                elif roll < 0.8:
                    body.pop(field, None)
                else:
                    body[field] = random_json(rng)
            what = f"POST {path} {short(body)}"
            status, text = server.request("POST", path, body)
        statuses[status] = statuses.get(status, 0) + 1
        if status is None:
            fail(check, f"{what} → connection failed: {text}")
        elif status >= 500:
            fail(check, f"{what} → {status} {short(text)}")
        else:
            ok()
        server.alive(check, what)
    print(f"  fuzz: {sum(statuses.values())} requests (seed {seed}) in {time.time() - start:.1f} s, statuses "
          f"{dict(sorted(statuses.items(), key=lambda kv: str(kv[0])))}", flush=True)


# MARK: the checks


def check_auth():
    check = "5 auth hardening"

    def run(arguments, env, wait_s=20):
        """Runs `cairn serve …`; returns (exit code or None if it got to Listening, stdout, stderr)."""
        process = subprocess.Popen([BINARY, "serve", *arguments], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        out, err = [], []
        threads = [threading.Thread(target=drain, args=(s, sink), daemon=True)
                   for s, sink in ((process.stdout, out), (process.stderr, err))]
        for thread in threads:
            thread.start()
        start, code = time.time(), None
        while time.time() - start < wait_s:
            code = process.poll()
            if code is not None or any(line.startswith("Listening on ") for line in out):
                break
            time.sleep(0.02)
        listening = code is None
        if listening:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in threads:
            thread.join(timeout=5)
        return (None if listening else code), "".join(out), "".join(err)

    folder = tempfile.mkdtemp(prefix="cairn-hostile-auth-")
    try:
        for label, arguments, env in (
                ('--auth-token ""', ["--auth-token", ""], clean_env()),
                ('CAIRN_AUTH_TOKEN=""', [], clean_env(CAIRN_AUTH_TOKEN=""))):
            code, out, err = run(["--path", folder, "--port", "0", *arguments], env)
            if code is None:
                fail(check, f"cairn serve with {label} started (it must refuse): stdout {out!r} stderr {err[-500:]!r}")
            elif code == 0:
                fail(check, f"cairn serve with {label} exited 0 (expected non-zero): stderr {err[-500:]!r}")
            elif "token" not in err.lower():
                fail(check, f"cairn serve with {label} exited {code} but stderr does not mention the token: "
                            f"{err[-500:]!r}")
            else:
                ok()
                said = [line.strip() for line in err.splitlines() if "token" in line.lower()]
                print(f"  {label}: refused, exit {code}: {said[0][:160]}")

        code, out, err = run(["--path", folder, "--host", "0.0.0.0", "--port", "0"], clean_env())
        warned = [line for line in err.splitlines() if "WARNING" in line and "auth" in line.lower()]
        if code is not None:
            fail(check, f"--host 0.0.0.0 without a token did not start: exit {code}, stderr {err[-500:]!r}")
        elif not warned:
            fail(check, f"--host 0.0.0.0 without a token: no WARNING about auth on stderr: {err[-800:]!r}")
        else:
            ok()
            print(f"  --host 0.0.0.0 without a token warns: {warned[0].strip()[:160]}")

        code, out, err = run(["--path", folder, "--host", "0.0.0.0", "--port", "0"],
                             clean_env(CAIRN_AUTH_TOKEN="hostile-check-token"))
        warned = [line for line in err.splitlines() if "WARNING" in line and "auth" in line.lower()]
        if code is not None:
            fail(check, f"--host 0.0.0.0 with a token did not start: exit {code}, stderr {err[-500:]!r}")
        elif warned:
            fail(check, f"--host 0.0.0.0 with a token still warns: {warned[0].strip()!r}")
        else:
            ok()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_log_collection_and_duplicates(scratch):
    """Server without background compaction: check 1 on a 2-record collection in the log, then check 3."""
    server = Server(os.path.join(scratch, "log"), "--compaction-threshold", "0")
    try:
        check = "1 extreme integers (log)"
        try:
            records = {"a": [1.0, 2.0], "b": [3.0, 4.0]}
            cid = server.create(check, "two-records")
            if cid and server.add(check, cid, list(records), list(records.values()), [{"g": 1}] * 2):
                # the reproduction first
                for path, body, expected in (
                        ("get", {"limit": 2**63 - 1, "offset": 1}, ["b"]),
                        ("query", {"query_embeddings": [[1, 2]], "n_results": 2**62}, [["a", "b"]])):
                    status, text = server.request("POST", f"{COLLECTIONS}/{cid}/{path}", body)
                    judge(check, server, f"POST …/{path} {json.dumps(body)}", status, text, True, True,
                          lambda answer, expected=expected: None if answer["ids"] == expected
                          else f"ids {answer['ids']}, expected {expected}")
                n = extreme_integers(check, server, cid, records)
                n += list_paging(check, server)
                n += delete_limits(check, server)
                print(f"  log collection: {n} extreme-integer requests, the heartbeat answered after each", flush=True)
        except ServerDown:
            return

        check = "3 duplicate ids in linear time"
        try:
            cid = server.create(check, "duplicates")
            if cid:
                ids = [f"dup{i:05d}" for i in range(50_000)] * 2
                body = json.dumps({"ids": ids, "embeddings": [[float(i), 1.0] for i in range(len(ids))]})
                start = time.time()
                status, text = server.request("POST", f"{COLLECTIONS}/{cid}/add", raw=body, timeout=120)
                seconds = time.time() - start
                print(f"  add of 50,000 ids each given twice: {status} in {seconds:.2f} s: {short(text, 160)}",
                      flush=True)
                what = f"POST {COLLECTIONS}/{cid}/add (50,000 ids each twice, {len(body)} bytes)"
                if status != 201:
                    fail(check, f"{what} → {status} {short(text)} (expected 201, applied in order as Chroma does)")
                elif seconds > 20:
                    fail(check, f"{what} took {seconds:.1f} s (limit 20 s)")
                else:
                    ok()
                server.alive(check, what)
                counted = server.json(check, "GET", f"{COLLECTIONS}/{cid}/count")
                if counted != 50_000:
                    fail(check, f"the add stored {counted} records, expected 50,000 (one per id)")
                first = server.json(check, "POST", f"{COLLECTIONS}/{cid}/get",
                                    {"ids": ["dup00007"], "include": ["embeddings"]})
                if first and first.get("embeddings") != [[7.0, 1.0]]:
                    fail(check, f"dup00007 has {first.get('embeddings')}, expected its first add's [[7.0, 1.0]]")
        except ServerDown:
            return
    finally:
        server.stop()


def documented_metric_names():
    """{name: [doc files]} of every `cairn_…` name in the three docs; brace alternatives expanded, labels stripped."""
    alternative = r"\{[a-z0-9_]+(?:,[a-z0-9_]+)+\}"
    # `cairn_db` is the wheel's Python module (docs/server.md), not a metric.
    pattern = re.compile(rf"cairn_(?!db\b)[a-z0-9_]*(?:(?<=_){alternative}[a-z0-9_]*|{alternative}[a-z0-9_]+)*")
    names = {}
    for doc in ("docs/operations.md", "docs/server.md", "docs/guide.md"):
        with open(os.path.join(ROOT, doc), encoding="utf-8") as file:
            text = file.read()
        for match in pattern.finditer(text):
            parts = re.split(r"(\{[^}]*\})", match.group(0))
            choices = [part[1:-1].split(",") if part.startswith("{") else [part] for part in parts]
            for combination in itertools.product(*choices):
                names.setdefault("".join(combination), set()).add(doc)
    return names


def check_metric_names(server):
    check = "4 documented metrics"
    documented = documented_metric_names()
    try:
        series = server.metrics()
    except RuntimeError as error:
        fail(check, str(error))
        return
    present = set(series)
    for name in sorted(documented):
        histogram = all(name + suffix in present for suffix in ("_bucket", "_sum", "_count"))
        if name in present or histogram:
            ok()
        else:
            similar = sorted(s for s in present if s.startswith(name) or name.startswith(s))
            fail(check, f"{name} (documented in {', '.join(sorted(documented[name]))}) is not on /metrics"
                        + (f"; similar series: {similar}" if similar else ""))
    doubled = sorted(s for s in present if s.endswith("_total_total") or s.endswith("_seconds_seconds"))
    if doubled:
        fail(check, f"series with a doubled unit suffix: {doubled}")
    else:
        ok()
    print(f"  documented metrics checked ({len(documented)}): {', '.join(sorted(documented))}", flush=True)
    outcomes = sorted(set(re.findall(r'outcome="([^"]*)"', " ".join(l for l, _ in series.get(
        "cairn_compactions_total", [])))))
    print(f"  (note) cairn_compactions_total outcomes shown: {outcomes}; documented: ok|conflict|failed", flush=True)


def check_compacted_collection(scratch):
    """Server with eager background compaction: a compacted 50-record collection for checks 2, 4 and 1; the fuzz."""
    server = Server(os.path.join(scratch, "compacted"), "--compaction-threshold", "10",
                    "--compaction-quiet-period", "0.2", "--compaction-max-age", "1")
    try:
        check = "1 extreme integers (compacted)"
        records = {f"r{i:02d}": [float(i), (i % 3) * 0.1] for i in range(50)}
        try:
            cid = server.create(check, "compacted")
            if not cid or not server.add(check, cid, list(records), list(records.values()), [{"g": 1}] * 50):
                return
            waited = wait_compacted(check, server, 30, minimum_records=50)
            if waited is None:
                return
            print(f"  compacted collection: its 50 records compacted after {waited:.1f} s", flush=True)
            # activity for the metrics check: get and query
            server.json(check, "POST", f"{COLLECTIONS}/{cid}/get", {"limit": 5})
            server.json(check, "POST", f"{COLLECTIONS}/{cid}/query", {"query_embeddings": [[0, 0]], "n_results": 3})
        except ServerDown:
            return

        check2 = "2 n_results above 100,000 on a compacted collection"
        try:
            ranked = sorted(records, key=lambda rid: squared_l2(records[rid], [0.0, 0.0]))
            for n in (100_001, 1_000_000, 2**62):
                body = {"query_embeddings": [[0.0, 0.0]], "n_results": n, "include": ["distances"]}
                status, text = server.request("POST", f"{COLLECTIONS}/{cid}/query", body)
                judge(check2, server, f"POST …/compacted/query {json.dumps(body)}", status, text, True, True,
                      lambda answer: None if answer["ids"] == [ranked] and answer["distances"][0] == sorted(
                          answer["distances"][0]) else f"ids {answer['ids']}, expected all 50 nearest first")
        except ServerDown:
            return

        check_metric_names(server)

        try:
            n = extreme_integers(check, server, cid, records, destructive=True)
            n += list_paging(check, server)
            print(f"  compacted collection: {n} extreme-integer requests, the heartbeat answered after each",
                  flush=True)
        except ServerDown:
            return

        check = "1 fuzz"
        try:
            cid = server.create(check, "fuzz")
            if cid and server.add(check, cid, ["f1", "f2", "f3"], [[1, 2], [3, 4], [5, 6]],
                                  [{"g": 1}, {"g": 2**63 - 1}, {"g": -(2**63)}]):
                fuzz(check, server, cid)
                # whatever the fuzz stored must still be readable once compaction caught up (max age 1 s)
                time.sleep(1.5)
                wait_compacted(check, server, 20)
                for path, body in (("get", {"include": ["embeddings", "metadatas", "documents"]}),
                                   ("query", {"query_embeddings": [[1, 2]], "n_results": 2**62})):
                    status, text = server.request("POST", f"{COLLECTIONS}/{cid}/{path}", body)
                    judge(check, server, f"POST …/fuzz/{path} {json.dumps(body)} after the fuzz", status, text,
                          True, True, lambda answer: None)
                failed = metric(server.metrics(), "cairn_compactions_total", 'outcome="failed"')
                if failed:
                    fail(check, f"{failed:.0f} background compactions failed during the fuzz: "
                                f"{server.stderr_tail()!r}")
        except ServerDown:
            return
    finally:
        server.stop()


def check_backlog_after_restart(scratch):
    check = "6 backlog compacted after a restart"
    folder = os.path.join(scratch, "backlog")
    rng = random.Random(6)
    vectors = {f"b{i:04d}": [rng.uniform(-1, 1) for _ in range(4)] for i in range(3000)}
    ids = list(vectors)
    first = Server(folder, "--compaction-threshold", "0")
    try:
        cid = first.create(check, "backlog")
        if cid is None:
            return
        for start in range(0, 3000, 500):
            batch = ids[start:start + 500]
            if not first.add(check, cid, batch, [vectors[i] for i in batch]):
                return
        compactions = metric(first.metrics(), "cairn_compactions_total")
        if compactions:
            fail(check, f"the server with --compaction-threshold 0 compacted ({compactions:.0f}): the check needs a "
                        "backlog")
    finally:
        code = first.stop()
    if code != 0:
        fail(check, f"first server exited with {code} after SIGTERM")

    second = Server(folder, "--compaction-threshold", "50000", "--compaction-max-age", "300")
    try:
        start, series, seen_ok = time.time(), {}, None
        while time.time() - start < 60:
            series = second.metrics()
            if seen_ok is None and metric(series, "cairn_compactions_total", 'outcome="ok"') >= 1:
                seen_ok = time.time() - start
            if seen_ok is not None and metric(series, "cairn_compaction_pending_records") == 0 \
                    and metric(series, "cairn_compactions_running") == 0 \
                    and metric(series, "cairn_compacted_log_records_total") >= 3000:
                break
            time.sleep(0.25)
        else:
            fail(check, f"after a restart with no write, within 60 s: compactions_total "
                        f"{series.get('cairn_compactions_total')}, compacted_log_records_total "
                        f"{series.get('cairn_compacted_log_records_total')}, pending "
                        f"{series.get('cairn_compaction_pending_records')}, running "
                        f"{series.get('cairn_compactions_running')}")
            return
        ok()
        print(f"  backlog of 3,000 records compacted {seen_ok:.1f} s after the restart, nothing pending after "
              f"{time.time() - start:.1f} s", flush=True)
        counted = second.json(check, "GET", f"{COLLECTIONS}/{cid}/count")
        if counted != 3000:
            fail(check, f"count after the restart is {counted}, expected 3000")
        probe = ids[1234]
        body = {"query_embeddings": [vectors[probe]], "n_results": 5, "include": ["distances"]}
        answer = second.json(check, "POST", f"{COLLECTIONS}/{cid}/query", body)
        if answer is not None:
            if answer["ids"][0][:1] != [probe] or len(answer["ids"][0]) != 5 \
                    or answer["distances"][0] != sorted(answer["distances"][0]):
                fail(check, f"query {short(body)} → {short(answer)} (expected {probe} first, 5 ascending)")
            else:
                ok()
    except RuntimeError as error:
        fail(check, str(error))
    finally:
        second.stop()


def main():
    if not os.path.exists(BINARY):
        print(f"{WHO}: no cairn binary at {BINARY} (set CAIRN_BIN or build first)")
        sys.exit(1)
    started = time.time()
    scratch = tempfile.mkdtemp(prefix="cairn-hostile-")
    try:
        for section in (check_auth, lambda: check_log_collection_and_duplicates(scratch),
                        lambda: check_compacted_collection(scratch), lambda: check_backlog_after_restart(scratch)):
            section()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.time() - started
    if failures:
        print(f"{WHO}: FAILED ({len(failures)} failures, {passed} checks passed, {elapsed:.1f} s)")
        for failure in failures:
            print("  -", failure[:600])
        sys.exit(1)
    print(f"{WHO}: {passed} checks passed in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
