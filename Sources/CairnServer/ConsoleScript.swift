// The console's script, compiled into the binary. Plain JavaScript, no framework and no build step. It reads only
// `/console/api/…` (same origin: the sign-in cookie or no auth), and writes data into the page only as text
// (textContent, text nodes, attributes): documents and metadata are user data and never become markup.
extension ConsoleAsset {
    static let scriptText = #"""
        "use strict";

        const state = { collection: null, count: null, offset: 0, pageSize: 25, where: "", whereDocument: "" };
        const history = [];
        const HISTORY = 60;
        const POLL_MS = 2000;

        // An element with attributes or properties and children (strings become text nodes, never markup).
        function el(tag, props, ...children) {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(props || {})) {
            if (key === "text") node.textContent = value;
            else if (key === "className") node.className = value;
            else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
            else node.setAttribute(key, value);
          }
          for (const child of children) {
            if (child === null || child === undefined) continue;
            node.append(typeof child === "string" ? document.createTextNode(child) : child);
          }
          return node;
        }

        function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
        const byId = (id) => document.getElementById(id);

        async function api(path) {
          const response = await fetch("/console/api/" + path, { credentials: "same-origin" });
          if (response.status === 401) { window.location.assign("/console"); throw new Error("signed out"); }
          const text = await response.text();
          if (!response.ok) {
            let message = "HTTP " + response.status;
            try { message = JSON.parse(text).message || message; } catch (e) { /* not JSON */ }
            throw new Error(message);
          }
          return path === "metrics" ? text : JSON.parse(text);
        }

        function bytes(n) {
          const units = ["B", "KiB", "MiB", "GiB", "TiB"];
          let value = n, unit = 0;
          while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
          return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
        }

        const number = (n) => Number(n).toLocaleString("en-US");
        // A query string with every character percent-encoded (URLSearchParams writes a space as "+", which the
        // server, like most, reads as a "+").
        const queryString = (params) => Object.entries(params)
          .map(([key, value]) => encodeURIComponent(key) + "=" + encodeURIComponent(value)).join("&");
        const json = (value) => value === null || value === undefined ? "" : JSON.stringify(value);

        // MARK: tree of tenants, databases, collections

        async function loadTree() {
          const overview = await api("overview");
          const tree = clear(byId("tree"));
          const list = el("ul");
          let collections = 0;
          for (const tenant of overview.tenants) {
            const databases = el("ul");
            for (const database of tenant.databases) {
              const items = el("ul");
              for (const c of database.collections) {
                collections++;
                const link = el("a", { href: "#/collection/" + encodeURIComponent(c.id), "data-id": c.id,
                  title: c.name + " (" + (c.dimension === null ? "no" : c.dimension) + " dimensions)" },
                  el("span", { className: "name", text: c.name }),
                  el("span", { className: "count", text: number(c.count) }));
                if (c.id === state.collection) link.classList.add("selected");
                items.append(el("li", { className: "collection" }, link));
              }
              if (database.collection_count > database.collections.length) {
                items.append(el("li", { className: "muted",
                  text: "… " + (database.collection_count - database.collections.length) + " more" }));
              }
              databases.append(el("li", {}, el("div", { className: "database", text: database.name }), items));
            }
            list.append(el("li", {}, el("div", { className: "tenant", text: tenant.name }), databases));
          }
          tree.append(list);
          byId("sign-out").hidden = !overview.signed_in;
          byId("status").textContent = overview.tenants.length + " tenant(s) · " + collections +
            " collection(s) · " + new Date().toLocaleTimeString();
        }

        // MARK: a collection

        async function showCollection(id) {
          state.collection = id;
          state.offset = 0;
          for (const link of document.querySelectorAll("#tree a")) {
            link.classList.toggle("selected", link.dataset.id === id);
          }
          const details = await api("collections/" + encodeURIComponent(id));
          byId("hint").hidden = true;
          const c = details.collection;
          state.count = details.count;
          byId("collection").hidden = false;
          byId("collection-name").textContent = c.name;
          const facts = clear(byId("collection-facts"));
          const hnsw = (c.configuration_json || {}).hnsw || {};
          for (const [term, value] of [
            ["id", c.id], ["tenant / database", c.tenant + " / " + c.database], ["records", number(details.count)],
            ["dimension", c.dimension === null ? "none yet" : String(c.dimension)],
            ["distance", hnsw.space || ""],
            ["indexed", number(details.indexing_status.num_indexed_ops) + " records, " +
              number(details.indexing_status.num_unindexed_ops) + " log records waiting for compaction"],
          ]) {
            facts.append(el("dt", { text: term }), el("dd", { text: value }));
          }
          byId("collection-configuration").textContent = JSON.stringify(c.configuration_json, null, 2);
          byId("collection-schema").textContent = JSON.stringify(c.schema, null, 2);
          byId("collection-metadata").textContent = JSON.stringify(c.metadata, null, 2);

          const versions = clear(byId("versions").tBodies[0]);
          for (const v of details.versions) {
            versions.append(el("tr", {}, el("td", { className: "num", text: String(v.version) }),
              el("td", { text: v.created_at }), el("td", { className: "num", text: number(v.record_count) }),
              el("td", { className: "num", text: String(v.compacted_log_offset) }),
              el("td", { text: v.current ? "current" : "" })));
          }
          const segments = clear(byId("segments").tBodies[0]);
          const storage = details.storage;
          for (const s of storage.segments) {
            segments.append(el("tr", {}, el("td", {}, el("code", { text: s.id })), el("td", { text: s.kind }),
              el("td", { text: s.scope }), el("td", { text: Object.keys(s.files).sort().join(", ") }),
              el("td", { className: "num", text: number(s.objects) }),
              el("td", { className: "num", text: bytes(s.bytes) })));
          }
          byId("storage-totals").textContent = "Version " + storage.version + ". Log: " +
            number(storage.log.objects) + " fragment(s), " + bytes(storage.log.bytes) + "; manifests: " +
            number(storage.manifests.objects) + ", " + bytes(storage.manifests.bytes) + "; the whole folder: " +
            number(storage.total.objects) + " objects, " + bytes(storage.total.bytes) + ".";
          clear(byId("neighbours").tBodies[0]);
          byId("neighbours-error").hidden = true;
          await loadRecords();
        }

        async function loadRecords() {
          const error = byId("records-error");
          const body = byId("records").tBodies[0];
          const params = { limit: String(state.pageSize + 1), offset: String(state.offset) };
          if (state.where) params.where = state.where;
          if (state.whereDocument) params.where_document = state.whereDocument;
          let page;
          try {
            page = await api("collections/" + encodeURIComponent(state.collection) + "/records?" +
              queryString(params));
          } catch (e) {
            error.textContent = e.message;
            error.hidden = false;
            clear(body);
            byId("page-info").textContent = "";
            return;
          }
          error.hidden = true;
          clear(body);
          const shown = Math.min(page.ids.length, state.pageSize);
          for (let i = 0; i < shown; i++) {
            const id = page.ids[i];
            body.append(el("tr", { "data-id": id },
              el("td", {}, el("code", { text: id })),
              el("td", { className: "doc", text: page.documents[i] === null ? "" : page.documents[i] }),
              el("td", { className: "meta", text: json(page.metadatas[i]) }),
              el("td", {}, el("button", { type: "button", className: "neighbours-of", text: "Neighbours",
                onclick: () => { byId("query-id").value = id; findNeighbours(); } }))));
          }
          const filtered = state.where || state.whereDocument;
          byId("page-info").textContent = shown === 0 ? "no records" :
            "records " + (state.offset + 1) + "–" + (state.offset + shown) +
            (filtered ? " matching the filter" : " of " + number(state.count));
          byId("previous").disabled = state.offset === 0;
          byId("next").disabled = page.ids.length <= state.pageSize;
        }

        async function findNeighbours() {
          const id = byId("query-id").value.trim();
          const n = byId("query-n").value || "5";
          const error = byId("neighbours-error");
          const body = clear(byId("neighbours").tBodies[0]);
          if (!id) return;
          let result;
          try {
            result = await api("collections/" + encodeURIComponent(state.collection) + "/neighbours?" +
              queryString({ id: id, n: n }));
          } catch (e) {
            error.textContent = e.message;
            error.hidden = false;
            return;
          }
          error.hidden = true;
          result.ids[0].forEach((hit, i) => {
            body.append(el("tr", { "data-id": hit },
              el("td", { className: "num", text: String(i + 1) }), el("td", {}, el("code", { text: hit })),
              el("td", { className: "num", text: result.distances[0][i].toFixed(4) }),
              el("td", { className: "doc", text: result.documents[0][i] === null ? "" : result.documents[0][i] }),
              el("td", { className: "meta", text: json(result.metadatas[0][i]) })));
          });
          byId("neighbours").scrollIntoView({ block: "nearest" });
        }

        // MARK: charts from /metrics

        function parseMetrics(text) {
          const samples = [];
          for (const line of text.split("\n")) {
            if (!line || line.startsWith("#")) continue;
            const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/);
            if (!match) continue;
            const labels = {};
            for (const pair of (match[2] || "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
              labels[pair[1]] = pair[2];
            }
            samples.push({ name: match[1], labels: labels, value: Number(match[3]) });
          }
          return samples;
        }

        // The numbers the charts need from one scrape: counters as totals (rates come from two scrapes).
        function summarize(samples) {
          const s = { requests: 0, errors: 0, backlog: 0, tail: 0, hits: {}, misses: {} };
          for (const sample of samples) {
            const l = sample.labels;
            if (sample.name === "cairn_http_requests_total" && !(l.route || "").startsWith("/console")) {
              s.requests += sample.value;
              if (Number(l.status) >= 400) s.errors += sample.value;
            } else if (sample.name === "cairn_compaction_pending_records") {
              s.backlog += sample.value;
            } else if (sample.name === "cairn_tail_index_vectors") {
              s.tail += sample.value;
            } else if (sample.name === "cairn_cache_hits_total") {
              s.hits[l.cache] = (s.hits[l.cache] || 0) + sample.value;
            } else if (sample.name === "cairn_cache_misses_total") {
              s.misses[l.cache] = (s.misses[l.cache] || 0) + sample.value;
            }
          }
          return s;
        }

        const SVG = "http://www.w3.org/2000/svg";
        const COLORS = ["#2f5fb3", "#c2571a", "#2e8540", "#8e44ad", "#b3261e"];

        // One small line chart: each series is a list of numbers (null: no value), drawn on a shared scale.
        // `legend(series)`, when given, labels each series under the chart; `top` fixes the scale (else the largest
        // value).
        function drawChart(id, series, current, legend, top) {
          const figure = byId(id);
          for (const old of figure.querySelectorAll("svg, .value, .legend")) old.remove();
          figure.append(el("div", { className: "value", text: current }));
          const width = 200, height = 56;
          const svg = document.createElementNS(SVG, "svg");
          svg.setAttribute("viewBox", "0 0 " + width + " " + height);
          svg.setAttribute("preserveAspectRatio", "none");
          svg.setAttribute("role", "img");
          const values = series.flatMap((s) => s.values).filter((v) => v !== null);
          const max = top || Math.max(1e-9, ...values);
          const axis = document.createElementNS(SVG, "line");
          for (const [k, v] of [["x1", 0], ["y1", height - 1], ["x2", width], ["y2", height - 1]]) {
            axis.setAttribute(k, String(v));
          }
          axis.setAttribute("stroke", "#d8dce3");
          svg.append(axis);
          series.forEach((s, n) => {
            const points = [];
            s.values.forEach((v, i) => {
              if (v === null) return;
              const x = ((i + HISTORY - s.values.length) / (HISTORY - 1)) * width;  // newest at the right edge
              points.push(x.toFixed(1) + "," + (height - 2 - (v / max) * (height - 6)).toFixed(1));
            });
            const line = document.createElementNS(SVG, "polyline");
            line.setAttribute("points", points.join(" "));
            line.setAttribute("fill", "none");
            line.setAttribute("stroke", COLORS[n % COLORS.length]);
            line.setAttribute("stroke-width", "1.5");
            line.setAttribute("vector-effect", "non-scaling-stroke");
            line.setAttribute("data-series", s.name);
            svg.append(line);
          });
          figure.append(svg);
          if (series.length > 1 || legend) {
            const key = el("div", { className: "legend" });
            series.forEach((s, n) => {
              const swatch = el("span", { text: "■ " });
              swatch.style.color = COLORS[n % COLORS.length];  // CSSOM: allowed by the policy, unlike style=""
              key.append(swatch, (legend ? legend(s) : s.name) + "  ");
            });
            figure.append(key);
          }
        }

        function rate(key) {
          const out = [];
          for (let i = 1; i < history.length; i++) {
            const seconds = (history[i].t - history[i - 1].t) / 1000;
            out.push(seconds > 0 ? Math.max(0, history[i].s[key] - history[i - 1].s[key]) / seconds : null);
          }
          return out;
        }

        function hitRates(cache) {
          return history.map((h, i) => {
            const hits = h.s.hits[cache] || 0, misses = h.s.misses[cache] || 0;
            if (i > 0) {
              const dh = hits - (history[i - 1].s.hits[cache] || 0);
              const dm = misses - (history[i - 1].s.misses[cache] || 0);
              if (dh + dm > 0) return dh / (dh + dm);
            }
            return hits + misses > 0 ? hits / (hits + misses) : null;
          });
        }

        async function pollMetrics() {
          try {
            history.push({ t: Date.now(), s: summarize(parseMetrics(await api("metrics"))) });
            if (history.length > HISTORY) history.shift();
          } catch (e) {
            byId("status").textContent = "metrics: " + e.message;
            return;
          }
          const last = history[history.length - 1].s;
          const requests = rate("requests"), errors = rate("errors");
          const fmt = (v) => v === null || v === undefined ? "–" : v.toFixed(v < 10 ? 2 : 0);
          drawChart("chart-requests", [{ name: "requests", values: requests }], fmt(requests[requests.length - 1]));
          drawChart("chart-errors", [{ name: "errors", values: errors }], fmt(errors[errors.length - 1]));
          drawChart("chart-backlog", [{ name: "pending", values: history.map((h) => h.s.backlog) }],
            number(last.backlog));
          drawChart("chart-tail", [{ name: "vectors", values: history.map((h) => h.s.tail) }], number(last.tail));
          const caches = Object.keys(last.hits).sort();
          const rates = caches.map((cache) => ({ name: cache, values: hitRates(cache) }));
          const percent = (v) => v === null || v === undefined ? "no lookups" : (v * 100).toFixed(1) + "%";
          const latest = (r) => r.values[r.values.length - 1];
          // Headline: the cache with the most lookups so far.
          const busiest = caches.slice().sort((a, b) =>
            (last.hits[b] + (last.misses[b] || 0)) - (last.hits[a] + (last.misses[a] || 0)))[0];
          const headline = rates.find((r) => r.name === busiest);
          drawChart("chart-cache", rates, headline ? percent(latest(headline)) + " " + headline.name : "–",
            (r) => r.name + " " + percent(latest(r)), 1);
        }

        // MARK: wiring

        function route() {
          const match = window.location.hash.match(/^#\/collection\/(.+)$/);
          if (match) {
            showCollection(decodeURIComponent(match[1])).catch((e) => {
              byId("collection").hidden = true;
              byId("status").textContent = e.message;
            });
          } else {
            state.collection = null;
            byId("collection").hidden = true;
          }
          byId("hint").hidden = state.collection !== null;
        }

        document.addEventListener("DOMContentLoaded", () => {
          byId("filter").addEventListener("submit", (event) => {
            event.preventDefault();
            state.where = byId("where").value.trim();
            state.whereDocument = byId("where-document").value.trim();
            state.pageSize = Number(byId("page-size").value);
            state.offset = 0;
            loadRecords();
          });
          byId("previous").addEventListener("click", () => {
            state.offset = Math.max(0, state.offset - state.pageSize);
            loadRecords();
          });
          byId("next").addEventListener("click", () => { state.offset += state.pageSize; loadRecords(); });
          byId("query").addEventListener("submit", (event) => { event.preventDefault(); findNeighbours(); });
          window.addEventListener("hashchange", route);
          loadTree().then(route).catch((e) => { byId("status").textContent = e.message; });
          pollMetrics();
          setInterval(pollMetrics, POLL_MS);
          setInterval(() => loadTree().catch(() => {}), 10 * POLL_MS);
        });
        """#
}
