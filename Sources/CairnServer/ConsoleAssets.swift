// The console's page and style, compiled into the binary (its script is in ConsoleScript.swift). Hand-written, no
// framework: the page is a shell the script fills in with DOM calls (text only, never HTML built from data), and
// the Content-Security-Policy allows scripts from this server's own `/console/console.js` alone.
import HTTPTypes
import Hummingbird
import NIOCore

enum ConsoleAsset {
    /// No inline script, no other origin: a document or metadata value that got into the page as markup still
    /// could not run.
    static let policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    static func response(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(
            status: status,
            headers: [
                .contentType: type, .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
                referrerPolicy: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: buffer))
    }

    static var page: Response {
        var response = response(pageText, type: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = policy
        return response
    }

    static var script: Response { response(scriptText, type: "text/javascript; charset=utf-8") }
    static var style: Response { response(styleText, type: "text/css; charset=utf-8") }

    static let pageText = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Cairn console</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/console/console.css">
        <script src="/console/console.js" defer></script>
        </head>
        <body>
        <header>
          <h1><a href="/console" id="home">Cairn console</a></h1>
          <span id="status" class="muted">loading…</span>
          <form method="post" action="/console/logout" id="sign-out" hidden>
            <button type="submit">Sign out</button></form>
        </header>
        <div class="layout">
          <nav id="tree" aria-label="Tenants, databases and collections"><p class="muted">loading…</p></nav>
          <main>
            <section id="server" aria-label="Server">
              <h2>Server</h2>
              <div class="charts">
                <figure class="chart" id="chart-requests"><figcaption>API requests/s</figcaption></figure>
                <figure class="chart" id="chart-errors"><figcaption>Errors/s (4xx and 5xx)</figcaption></figure>
                <figure class="chart" id="chart-backlog"><figcaption>Compaction backlog (records)</figcaption></figure>
                <figure class="chart" id="chart-cache"><figcaption>Cache hit rate</figcaption></figure>
                <figure class="chart" id="chart-tail"><figcaption>Log tail index (vectors)</figcaption></figure>
              </div>
            </section>
            <p id="hint" class="muted">Pick a collection on the left to see its versions, segments, records and
              nearest neighbours.</p>
            <section id="collection" hidden>
              <h2 id="collection-name"></h2>
              <dl id="collection-facts" class="facts"></dl>
              <details><summary>Configuration</summary><pre id="collection-configuration"></pre></details>
              <details><summary>Schema</summary><pre id="collection-schema"></pre></details>
              <details><summary>Metadata</summary><pre id="collection-metadata"></pre></details>
              <h3>Versions</h3>
              <table id="versions"><thead><tr><th>Version</th><th>Published</th><th>Records</th>
                <th>Compacted through log offset</th><th></th></tr></thead><tbody></tbody></table>
              <h3>Segments of the current version</h3>
              <table id="segments"><thead><tr><th>Segment</th><th>Kind</th><th>Scope</th><th>Files</th>
                <th>Objects</th><th>Size</th></tr></thead><tbody></tbody></table>
              <p id="storage-totals" class="muted"></p>
              <h3>Records</h3>
              <form id="filter" class="row">
                <label>where <input id="where" name="where" placeholder='{"genre": "poetry"}' size="34"></label>
                <label>where_document <input id="where-document" name="where_document"
                  placeholder='{"$contains": "tide"}' size="28"></label>
                <label>per page <select id="page-size"><option>10</option><option selected>25</option>
                  <option>100</option></select></label>
                <button type="submit" id="apply-filter">Apply</button>
              </form>
              <p id="records-error" class="bad" hidden></p>
              <table id="records"><thead><tr><th>Id</th><th>Document</th><th>Metadata</th><th></th></tr></thead>
                <tbody></tbody></table>
              <div class="row pager">
                <button type="button" id="previous">‹ Previous</button>
                <span id="page-info" class="muted"></span>
                <button type="button" id="next">Next ›</button>
              </div>
              <h3>Nearest neighbours</h3>
              <form id="query" class="row">
                <label>record id <input id="query-id" name="id" size="28"></label>
                <label>results <input id="query-n" name="n" type="number" min="1" max="100" value="5"></label>
                <button type="submit" id="find-neighbours">Find</button>
              </form>
              <p id="neighbours-error" class="bad" hidden></p>
              <table id="neighbours"><thead><tr><th>#</th><th>Id</th><th>Distance</th><th>Document</th>
                <th>Metadata</th></tr></thead><tbody></tbody></table>
            </section>
          </main>
        </div>
        </body>
        </html>
        """

    static let styleText = """
        :root{--fg:#1d2330;--muted:#5f6b7a;--line:#d8dce3;--bg:#f4f5f7;--card:#fff;--accent:#2f5fb3;--bad:#b3261e}
        *{box-sizing:border-box}[hidden]{display:none!important}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;align-items:center;gap:16px;padding:10px 20px;background:#1d2330;color:#fff}
        header h1{font-size:17px;margin:0}header a{color:#fff;text-decoration:none}
        header #status{flex:1;color:#c4cad4}header button{font:inherit;padding:3px 10px}
        .layout{display:grid;grid-template-columns:270px 1fr;min-height:calc(100vh - 46px)}
        nav{border-right:1px solid var(--line);background:var(--card);padding:12px 10px;overflow:auto}
        nav ul{list-style:none;margin:0;padding-left:12px}nav>ul{padding-left:0}
        nav .tenant,nav .database{font-weight:600;margin-top:6px}
        nav .database{font-weight:500;color:var(--muted)}
        nav a{display:flex;justify-content:space-between;gap:8px;padding:2px 6px;border-radius:4px;color:var(--fg);
        text-decoration:none}
        nav a:hover{background:#eef1f6}nav a.selected{background:var(--accent);color:#fff}
        nav .count{font-variant-numeric:tabular-nums;color:inherit;opacity:.75}
        main{padding:16px 24px;overflow:auto;min-width:0}
        h2{font-size:18px;margin:4px 0 10px}h3{font-size:15px;margin:22px 0 8px}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
        .chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 10px}
        .chart figcaption{font-size:12px;color:var(--muted)}
        .chart .value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
        .chart svg{display:block;width:100%;height:56px}
        .chart .legend{font-size:11px;color:var(--muted)}
        #collection,#hint{margin-top:22px}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 10px}
        .facts dt{color:var(--muted)}.facts dd{margin:0;font-variant-numeric:tabular-nums}
        details{margin:4px 0}summary{cursor:pointer;color:var(--accent)}
        pre{background:var(--card);border:1px solid var(--line);border-radius:4px;padding:8px;overflow:auto;
        max-height:320px;font-size:12px}
        table{border-collapse:collapse;width:100%;background:var(--card);font-size:13px}
        th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#eef1f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
        td.doc{max-width:420px;white-space:pre-wrap;word-break:break-word}
        td.meta{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}
        .row{display:flex;flex-wrap:wrap;align-items:center;gap:10px;margin:6px 0}
        input,select,button{font:inherit}input{padding:3px 6px}.pager{justify-content:flex-start}
        .muted{color:var(--muted)}.bad{color:var(--bad)}
        """
}
