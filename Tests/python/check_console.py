"""The web console in a real browser (issue 23): `cairn serve` with a token on a temporary folder, data written
through the official chromadb client (console_data.py), and headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) signing in and browsing. Checks: the sign-in form refuses a wrong token and
shows no data; the page loads with no browser console errors; tenants, databases and collections are listed with
their counts; a collection shows its versions and segments; the record browser pages and filters with a where
exactly as the API's get does; a hostile document renders as text; the neighbours of a picked record are the API's
query; the metrics charts draw. Screenshots go to .test-artifacts/console/.

Needs $CAIRN_BIN (or .build/debug/cairn) and chromium; with CAIRN_CONSOLE_TEST=0 it skips, otherwise a missing
browser is a failure (`make test` installs it).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import cairn_serve
import chroma_venv

HERE = os.path.dirname(os.path.abspath(__file__))
ARTIFACTS = os.path.join(chroma_venv.ROOT, ".test-artifacts", "console")
TOKEN = "console-check-token"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", flush=True)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


class API:
    """Raw HTTP to the server's /api/v2 with the token: what the page's answers are compared against."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def collection(self, collection_id, action, body=None, tenant="default_tenant", database="default_database"):
        path = f"/api/v2/tenants/{tenant}/databases/{database}/collections/{collection_id}/{action}"
        return self.call("POST" if body is not None else "GET", path, body)


def seed(port):
    """Runs console_data.py (the chromadb client, in .venv-chroma); returns what it wrote."""
    result = subprocess.run([sys.executable, os.path.join(HERE, "console_data.py"), str(port)],
                            env=dict(os.environ, CAIRN_AUTH_TOKEN=TOKEN), capture_output=True, text=True,
                            timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"check_console: console_data.py failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_for(what, condition, timeout=30):
    start = time.time()
    while time.time() - start < timeout:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # noqa: BLE001 — not there yet (element missing, stale, request refused)
            pass
        time.sleep(0.2)
    fail(f"{what}: not within {timeout} s")
    return None


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Both paths given: selenium then never looks for (or downloads) a driver of its own.
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def browser_errors(driver, expected=()):
    """The SEVERE browser console entries since the last call, less those whose text holds one of `expected`."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and not any(e in entry["message"] for e in expected)]


def screenshot(driver, name):
    path = os.path.join(ARTIFACTS, name)
    driver.save_screenshot(path)
    print(f"check_console: screenshot {path}", flush=True)


def cells(driver, table, column):
    from selenium.webdriver.common.by import By

    return [row.find_elements(By.TAG_NAME, "td")[column].text
            for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def row_ids(driver, table):
    from selenium.webdriver.common.by import By

    return [row.get_attribute("data-id") for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def sign_in(driver, base):
    from selenium.webdriver.common.by import By

    driver.get(base + "/console")
    check(driver.find_elements(By.ID, "sign-in"), "without the token /console shows the sign-in form")
    check("poems" not in driver.page_source, "the sign-in form shows no data")
    driver.find_element(By.ID, "token").send_keys("not-the-token")
    driver.find_element(By.CSS_SELECTOR, "#sign-in button").click()
    wait_for("a wrong token is refused", lambda: "not this server" in driver.page_source)
    check("poems" not in driver.page_source, "a wrong token shows no data")
    driver.find_element(By.ID, "token").send_keys(TOKEN)
    driver.find_element(By.CSS_SELECTOR, "#sign-in button").click()
    wait_for("the console after signing in", lambda: driver.find_elements(By.CSS_SELECTOR, "#tree a"))
    # The refused page loads are the only errors expected so far (Chrome logs a 401 page load as one).
    for message in browser_errors(driver, expected=["401 (Unauthorized)"]):
        fail(f"browser console error while signing in: {message}")


def sign_out(driver, base):
    """Signing out drops the cookie: the console asks for the token again."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#sign-out button").click()
    wait_for("the sign-in form after signing out", lambda: driver.find_elements(By.ID, "sign-in"))
    driver.get(base + "/console/api/overview")
    check("AuthError" in driver.page_source and "poems" not in driver.page_source,
          "signed out, the console's JSON is refused")


def check_tree(driver, data):
    from selenium.webdriver.common.by import By

    check(driver.find_element(By.ID, "sign-out").is_displayed(), "signed in, the page offers to sign out")
    tree = driver.find_element(By.ID, "tree").text
    for name in ["default_tenant", "default_database", "acme", "research"]:
        check(name in tree, f"the tree lists {name}: {tree!r}")
    for name in ["poems", "empty", "papers"]:
        link = driver.find_elements(By.CSS_SELECTOR, f'#tree a[data-id="{data[name]["id"]}"]')
        if check(link, f"the tree links collection {name}"):
            count = link[0].find_element(By.CSS_SELECTOR, ".count").text
            check(count == str(data[name]["count"]), f"{name} is listed with {data[name]['count']} records: {count}")


def check_charts(driver, api, data):
    """After browsing (the block cache has been read, the HNSW index queried): every chart draws a line."""
    from selenium.webdriver.common.by import By

    def traffic_and_rate():
        api.collection(data["poems"]["id"], "count")  # API traffic, which the request rate must show
        return float(driver.find_element(By.CSS_SELECTOR, "#chart-requests .value").text) > 0

    wait_for("the request rate shows the API traffic", traffic_and_rate, timeout=20)
    for chart in ["chart-requests", "chart-errors", "chart-backlog", "chart-cache", "chart-tail"]:
        drawn = wait_for(f"{chart} draws a line", lambda: all(
            len(line.get_attribute("points").split()) >= 2
            for line in driver.find_elements(By.CSS_SELECTOR, f"#{chart} svg polyline")
        ) and driver.find_elements(By.CSS_SELECTOR, f"#{chart} svg polyline"), timeout=20)
        if drawn:
            value = driver.find_element(By.CSS_SELECTOR, f"#{chart} .value").text
            check(value and value != "–", f"{chart} shows a current value: {value!r}")
    # A few more scrapes, so the screenshot shows lines rather than dots.
    wait_for("eight scrapes on the charts", lambda: len(driver.find_element(
        By.CSS_SELECTOR, "#chart-backlog svg polyline").get_attribute("points").split()) >= 8, timeout=30)
    legend = driver.find_element(By.CSS_SELECTOR, "#chart-cache").text
    check("block" in legend, f"the cache chart names the block cache: {legend!r}")


def check_collection(driver, data):
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'#tree a[data-id="{data["poems"]["id"]}"]').click()
    wait_for("the collection page", lambda: driver.find_element(By.ID, "collection-name").text == "poems")
    facts = driver.find_element(By.ID, "collection-facts").text
    check("61" in facts and "cosine" in facts and "8" in facts, f"facts name count, space, dimension: {facts!r}")
    versions = cells(driver, "versions", 4)
    check(versions and versions[-1] == "current", f"versions end with the current one: {versions}")
    kinds = sorted(cells(driver, "segments", 1))
    check(kinds == ["metadata", "record", "vector"], f"the current version's three segments: {kinds}")
    sizes = dict(zip(cells(driver, "segments", 1), cells(driver, "segments", 5)))
    files = dict(zip(cells(driver, "segments", 1), cells(driver, "segments", 3)))
    # A small collection's vector segment names its record segment's vectors and holds no file (decision 0025).
    check(sizes.get("record", "0 B") != "0 B" and sizes.get("metadata", "0 B") != "0 B"
          and (sizes.get("vector") != "0 B" or files.get("vector") == "vectors_in_records"),
          f"compacted segments have sizes: {sizes}, files {files}")
    driver.find_element(By.CSS_SELECTOR, "#collection details summary").click()
    configuration = driver.find_element(By.ID, "collection-configuration").text
    check('"space": "cosine"' in configuration, f"configuration shown: {configuration[:200]!r}")


def check_pages(driver, api, data):
    from selenium.webdriver.common.by import By

    collection = data["poems"]["id"]
    everything = api.collection(collection, "get", {"limit": 1000})["ids"]
    seen = []
    for page in range(3):
        want = everything[page * 25:(page + 1) * 25]
        got = wait_for(f"page {page + 1} of records", lambda: row_ids(driver, "records") == want and want)
        check(got, f"page {page + 1} shows {want[:3]}…, got {row_ids(driver, 'records')[:3]}…")
        seen += row_ids(driver, "records")
        if page == 0:
            screenshot(driver, "collection.png")
        if page < 2:
            driver.find_element(By.ID, "next").click()
    check(seen == everything, "paging through shows every record once, in the API's order")
    wait_for("no next page after the last", lambda: not driver.find_element(By.ID, "next").is_enabled())

    # The hostile record is on the last page: its document and metadata are text, nothing ran or was made.
    rows = row_ids(driver, "records")
    if check("hostile" in rows, "the hostile record is on the last page"):
        i = rows.index("hostile")
        check(cells(driver, "records", 1)[i] == data["hostile_document"],
              f"the hostile document renders as its text: {cells(driver, 'records', 1)[i]!r}")
        check("<b>not bold</b>" in cells(driver, "records", 2)[i], "hostile metadata renders as text")
        row = driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")[i]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        screenshot(driver, "hostile.png")
    made = driver.execute_script(
        "return [window.__cairnPwned, document.querySelectorAll('#records script, #records img, #records b').length]")
    check(made == [None, 0], f"no script ran and no element came from data: {made}")
    driver.find_element(By.ID, "previous").click()
    wait_for("previous goes back a page", lambda: row_ids(driver, "records") == everything[25:50])


def apply_filter(driver, where="", where_document=""):
    from selenium.webdriver.common.by import By

    for field, text in [("where", where), ("where-document", where_document)]:
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(text)
    driver.find_element(By.ID, "apply-filter").click()


def check_filters(driver, api, data):
    from selenium.webdriver.common.by import By

    collection = data["poems"]["id"]
    for where, where_document in [
        ({"$and": [{"genre": "poetry"}, {"n": {"$lt": 30}}]}, None),
        ({"genre": "drama"}, {"$contains": "wind"}),
    ]:
        body = {"where": where, "limit": 25}
        if where_document:
            body["where_document"] = where_document
        want = api.collection(collection, "get", body)["ids"]
        apply_filter(driver, json.dumps(where), json.dumps(where_document) if where_document else "")
        got = wait_for(f"filter {where}", lambda: row_ids(driver, "records") == want and want)
        check(got, f"the filter {where} shows the API's records {want[:4]}…, got {row_ids(driver, 'records')[:4]}")
        info = driver.find_element(By.ID, "page-info").text
        check("matching" in info, f"the page says it is filtered: {info!r}")
    screenshot(driver, "filtered.png")
    apply_filter(driver, "{nope")
    wait_for("a malformed filter is reported", lambda: driver.find_element(By.ID, "records-error").is_displayed())
    browser_errors(driver, expected=["400 (Bad Request)"])  # that refused request is the one error expected
    apply_filter(driver)
    wait_for("clearing the filter", lambda: len(row_ids(driver, "records")) == 25)


def check_neighbours(driver, api, data):
    from selenium.webdriver.common.by import By

    collection = data["poems"]["id"]
    target = "p007"
    apply_filter(driver, json.dumps({"n": {"$gte": 5}}))
    wait_for("records from p005", lambda: row_ids(driver, "records")[:1] == ["p005"])
    index = row_ids(driver, "records").index(target)
    driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")[index].find_element(
        By.CSS_SELECTOR, "button.neighbours-of").click()
    embedding = api.collection(collection, "get", {"ids": [target], "include": ["embeddings"]})["embeddings"][0]
    want = api.collection(collection, "query", {"query_embeddings": [embedding], "n_results": 5,
                                                "include": ["distances"]})
    got = wait_for("neighbours of p007", lambda: row_ids(driver, "neighbours") == want["ids"][0])
    check(got, f"the neighbours are the API's query: {want['ids'][0]} vs {row_ids(driver, 'neighbours')}")
    check(row_ids(driver, "neighbours")[:1] == [target], "a record is its own nearest neighbour")
    distances = [float(d) for d in cells(driver, "neighbours", 2)]
    check(all(abs(a - b) < 1e-3 for a, b in zip(distances, want["distances"][0])),
          f"distances as the API's: {distances} vs {want['distances'][0]}")
    screenshot(driver, "neighbours.png")


def main():
    if os.environ.get("CAIRN_CONSOLE_TEST") == "0":
        print("check_console: skipped (CAIRN_CONSOLE_TEST=0)")
        return
    missing = [path for path in [cairn_serve.BINARY, CHROMIUM, CHROMEDRIVER] if not os.path.exists(path)]
    if missing:
        print(f"check_console: FAIL: missing {', '.join(missing)} (make test installs chromium and chromium-driver; "
              "CAIRN_CONSOLE_TEST=0 skips this check)")
        sys.exit(1)
    try:
        import selenium  # noqa: F401
    except ImportError:
        print("check_console: FAIL: selenium is not installed (make deps-python)")
        sys.exit(1)
    os.makedirs(ARTIFACTS, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="cairn-console-")
    process, port = cairn_serve.start(
        ["--path", folder, "--port", "0", "--log-level", "warning", "--compaction-quiet-period", "0.5"],
        "check_console", env=dict(os.environ, CAIRN_AUTH_TOKEN=TOKEN))
    driver = None
    try:
        data = seed(port)
        api = API(port)
        # Compacted (so the collection has versions and segments with sizes) before the browser looks.
        wait_for("compaction of the seeded collections", lambda: all(
            api.collection(data[name]["id"], "indexing_status")["num_unindexed_ops"] == 0
            for name in ["poems"]), timeout=120)
        driver = browser()
        base = f"http://127.0.0.1:{port}"
        sign_in(driver, base)
        check_tree(driver, data)
        check_collection(driver, data)
        check_pages(driver, api, data)
        check_filters(driver, api, data)
        check_neighbours(driver, api, data)
        driver.get(base + "/console")  # back to the overview: the charts
        check_charts(driver, api, data)
        screenshot(driver, "overview.png")
        for message in browser_errors(driver):
            fail(f"browser console error: {message}")
        sign_out(driver, base)
    finally:
        if driver is not None:
            if failures:
                screenshot(driver, "failure.png")
            driver.quit()
        cairn_serve.stop(process, folder)
    print(f"check_console: screenshots in {ARTIFACTS}")
    if failures:
        print(f"check_console: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_console: ok")


if __name__ == "__main__":
    main()
