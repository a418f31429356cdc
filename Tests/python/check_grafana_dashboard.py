"""docs/grafana-dashboard.json names only metrics `cairn serve` exports (issue 23): every PromQL `expr` of its panels
and every query of its variables is parsed, the metric names taken out (not functions, label names, label values or
ranges), and each must be on a running server's /metrics after some traffic — a histogram's `_bucket`, `_sum` and
`_count` series count as exported when the histogram is. Also checks the dashboard's shape: a Prometheus data
source variable that every panel uses, unique panel ids. Needs $CAIRN_BIN (or .build/debug/cairn).
"""
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request

import cairn_serve
import chroma_venv

DASHBOARD = os.path.join(chroma_venv.ROOT, "docs", "grafana-dashboard.json")
# PromQL words that are not metric names (functions are recognised by the parenthesis that follows them).
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
            "inf", "nan"}
failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", flush=True)


def metric_names(expr):
    """The metric names a PromQL expression (or a Grafana `label_values(metric, label)` query) reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # string literals (label values)
    text = re.sub(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*,[^)]*\)", r"\1", text)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    names = []
    for match in re.finditer(r"(?<![0-9.$])\b[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        token = match.group(0)
        if text[match.end():].lstrip().startswith("(") or token.lower() in KEYWORDS:
            continue
        names.append(token)
    return names


def self_test():
    """The parser on the shapes the dashboard uses, so a parser bug cannot pass the check vacuously."""
    cases = {
        'histogram_quantile(0.99, sum by (le, route) (rate(a_seconds_bucket{job=~"$job"}[$__rate_interval])))':
            ["a_seconds_bucket"],
        'sum by (cache) (rate(h_total{x="rate(y)"}[5m])) / (sum by (cache) (rate(h_total[1m])) + m_total)':
            ["h_total", "h_total", "m_total"],
        "label_values(cairn_http_requests_total, job)": ["cairn_http_requests_total"],
        "sum(g{job=~\"$job\"}) > bool 0 and on(instance) up offset 5m": ["g", "up"],
        "1e3 * x_sum / x_count": ["x_sum", "x_count"],
    }
    for expr, want in cases.items():
        if metric_names(expr) != want:
            fail(f"parser: {expr!r} gave {metric_names(expr)}, expected {want}")


def dashboard_queries(dashboard):
    """(where, query) for every panel target expr (rows' nested panels too) and every query variable."""
    queries = []

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            queries.append((f"panel {panel['title']!r}", target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            queries.append((f"variable {variable['name']}", query["query"] if isinstance(query, dict) else query))
    return queries


def check_shape(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    source = variables.get("datasource")
    if not source or source.get("type") != "datasource" or source.get("query") != "prometheus":
        fail("the dashboard needs a Prometheus data source variable named datasource")
    ids = []
    for panel in dashboard["panels"]:
        ids.append(panel["id"])
        if panel["type"] == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            fail(f"panel {panel['title']!r} does not use the datasource variable")
        if not panel.get("targets"):
            fail(f"panel {panel['title']!r} has no query")
    if len(ids) != len(set(ids)):
        fail(f"panel ids repeat: {ids}")


def request(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if response.headers.get("Content-Type", "").startswith("application/json") else text


def traffic(port):
    """Writes, compaction, gets and queries (cached and not), a refused request: every kind of series moves."""
    db = "/api/v2/tenants/default_tenant/databases/default_database"
    collection = request(port, "POST", db + "/collections", {"name": "dashboard"})["id"]
    path = f"{db}/collections/{collection}"
    ids = [f"r{i}" for i in range(300)]
    request(port, "POST", path + "/add", {
        "ids": ids, "embeddings": [[(i % 17) / 17, (i % 5) / 5, i / 300] for i in range(300)],
        "metadatas": [{"n": i} for i in range(300)], "documents": [f"doc {i}" for i in range(300)]})
    request(port, "POST", path + "/query", {"query_embeddings": [[0.1, 0.2, 0.3]], "n_results": 5})
    deadline = time.time() + 120
    while request(port, "GET", path + "/indexing_status")["num_unindexed_ops"] > 0 and time.time() < deadline:
        time.sleep(0.5)
    for _ in range(3):
        request(port, "POST", path + "/query", {"query_embeddings": [[0.1, 0.2, 0.3]], "n_results": 5,
                                               "where": {"n": {"$gte": 10}}})
        request(port, "POST", path + "/get", {"where": {"n": {"$lt": 20}}, "limit": 10})
    try:
        request(port, "GET", db + "/collections/nope")
    except urllib.error.HTTPError:
        pass  # a 404: the errors panel's series


def exported(metrics_text):
    """Sample names on /metrics, and the type of each family."""
    samples, types = set(), {}
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()[:4]
            types[name] = kind
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return samples, types


def is_exported(name, samples, types):
    if name in samples:
        return True
    for suffix, kinds in [("_bucket", {"histogram"}), ("_sum", {"histogram", "summary"}),
                          ("_count", {"histogram", "summary"})]:
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in kinds:
            return True
    return False


def main():
    self_test()
    with open(DASHBOARD) as file:
        dashboard = json.load(file)
    check_shape(dashboard)
    queries = dashboard_queries(dashboard)
    named = {}
    for where, query in queries:
        names = metric_names(query)
        if not names:
            fail(f"{where}: no metric in {query!r}")
        for name in names:
            named.setdefault(name, where)
    if not os.path.exists(cairn_serve.BINARY):
        print(f"check_grafana_dashboard: FAIL: no cairn binary at {cairn_serve.BINARY}")
        sys.exit(1)
    folder = tempfile.mkdtemp(prefix="cairn-dashboard-")
    process, port = cairn_serve.start(["--path", folder, "--port", "0", "--log-level", "warning",
                                       "--compaction-quiet-period", "0.5"], "check_grafana_dashboard")
    try:
        traffic(port)
        samples, types = exported(request(port, "GET", "/metrics"))
    finally:
        cairn_serve.stop(process, folder)
    for name, where in sorted(named.items()):
        if not is_exported(name, samples, types):
            fail(f"{where} names {name}, which /metrics does not export")
    unused = sorted(set(types) - {re.sub(r"_(bucket|sum|count)$", "", n) for n in named} - set(named))
    print(f"check_grafana_dashboard: {len(queries)} queries name {len(named)} metrics; "
          f"exported but not on the dashboard: {', '.join(unused) or 'none'}")
    if failures:
        print(f"check_grafana_dashboard: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_grafana_dashboard: ok")


if __name__ == "__main__":
    main()
