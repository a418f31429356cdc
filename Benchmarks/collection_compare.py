#!/usr/bin/env python3
"""Side-by-side table of chroma_bench.py's and CollectionBench's JSON (same dataset, same run).

Usage: collection_compare.py CHROMA.json CAIRN.json [--markdown]
The "advantage" column is oriented so that higher is better for Cairn on every row: rates are Cairn / chromadb,
times and sizes are chromadb / Cairn. Issue 7's target for a row is shown beside it with a pass/miss mark.
"""
import json
import sys


def get(d, path):
    for k in path.split("."):
        d = d[k]
    return d


def main():
    chroma = json.load(open(sys.argv[1]))
    cairn = json.load(open(sys.argv[2]))
    md = "--markdown" in sys.argv
    rows = []  # (label, chroma value, cairn value, unit, higher_is_better, target, recall pair or None)

    c_ing = chroma["ingest"]["vectors_per_s"]
    rows.append(("ingest, acknowledged (vec/s)", c_ing, cairn["ingest"]["vectors_per_s"], "", True, 5, None))
    rows.append(("ingest until indexed (vec/s)", c_ing, cairn["ingest"]["indexed_vectors_per_s"], "", True, 3, None))
    rows.append(("  batch of 1,000 p50 (ms)", chroma["ingest"]["batch_p50_ms"], cairn["ingest"]["batch_p50_ms"],
                 "", False, None, None))
    q = ("query", "qps")
    rows.append(("query k=10, one per call (QPS)", get(chroma, "query.qps"), get(cairn, "query.qps"), "", True, 4,
                 (get(chroma, "query.recall_at_10"), get(cairn, "query.recall_at_10"))))
    rows.append(("  query p50 (ms)", get(chroma, "query.p50_ms"), get(cairn, "query.p50_ms"), "", False, None, None))
    rows.append(("  query p99 (ms)", get(chroma, "query.p99_ms"), get(cairn, "query.p99_ms"), "", False, None, None))
    rows.append(("query with metadatas+documents (QPS)", get(chroma, "query_default_include.qps"),
                 get(cairn, "query_default_include.qps"), "", True, None, None))
    rows.append(("1,000 queries in one call (QPS)", get(chroma, "query_batch_1000_in_one_call.qps"),
                 get(cairn, "query_batch_1000_in_one_call.qps"), "", True, None, None))
    for name, label in (("cat_lt_500", "50%"), ("cat_lt_100", "10%"), ("cat_lt_10", "1%"), ("cat_eq_7", "0.1%")):
        c = chroma["filtered_query"][name]
        s = cairn["filtered_query"][name]
        rows.append((f"filtered {label} {name} (QPS)", c["qps"], s["qps"], "", True, 50,
                     (c["recall_at_10"], s["recall_at_10"])))
    for key, target in (("where_shard_eq_3_limit_100", 10), ("where_shard_eq_3_limit_100_docs", 10),
                        ("where_tag_eq_alpha_limit_100", 10), ("where_cat_eq_7_all", 10),
                        ("by_100_ids_with_embeddings", None), ("count", None)):
        rows.append((f"get {key} p50 (ms)" if key != "count" else "count p50 (ms)",
                     chroma["get"][key]["p50_ms"], cairn["get"][key]["p50_ms"], "", False, target, None))
    for key, label in (("cold_start_warm_cache", "warm cache"), ("cold_start_dropped_cache", "dropped cache")):
        rows.append((f"open→first result, {label} (ms)", chroma[key]["open_to_first_result_s"] * 1e3,
                     cairn[key]["open_to_first_result_s"] * 1e3, "", False, 1, None))
        rows.append((f"  process start→first result, {label} (ms)",
                     chroma[key]["process_start_to_first_result_s"] * 1e3,
                     cairn[key]["process_start_to_first_result_s"] * 1e3, "", False, None, None))
    rows.append(("bytes on disk (MiB)", chroma["disk_after_ingest"]["apparent_bytes"] / 2**20,
                 cairn["disk_after_ingest"]["apparent_bytes"] / 2**20, "", False, 1, None))
    rows.append(("peak RSS, main process (MiB)", chroma["maxrss_main_process_mib"], cairn["maxrss_main_process_mib"],
                 "", False, None, None))

    def fmt(v):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3f}"

    header = ["measure", "chromadb 1.5.9", "Cairn", "advantage", "target", "recall chroma / Cairn"]
    lines = []
    for label, c, s, _, higher, target, recall in rows:
        adv = (s / c) if higher else (c / s if s > 0 else float("inf"))
        mark = ""
        if target is not None:
            ok = adv >= target and (recall is None or recall[1] >= 0.99)
            mark = f"≥{target}× {'met' if ok else 'MISSED'}"
        rec = f"{recall[0]:.4f} / {recall[1]:.4f}" if recall else ""
        lines.append([label, fmt(c), fmt(s), f"{adv:.2f}×", mark, rec])
    if md:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for l in lines:
            print("| " + " | ".join(l) + " |")
    else:
        widths = [max(len(r[i]) for r in lines + [header]) for i in range(len(header))]
        for r in [header] + lines:
            print("  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths))))
    print(f"\nadvantage: rates Cairn ÷ chromadb, times and sizes chromadb ÷ Cairn (higher is better for Cairn). "
          f"Cairn ingest: add {cairn['ingest']['add_wall_s']:.1f} s, compaction {cairn['ingest']['compact_s']:.1f} s; "
          f"chromadb {chroma['ingest']['until_queryable_wall_s']:.1f} s until queryable.")


if __name__ == "__main__":
    main()
