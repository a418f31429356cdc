#!/usr/bin/env python3
"""Prints IndexBench beside Python hnswlib and numpy from one run-index.sh output directory."""
import json
import os
import sys

out = sys.argv[1]
cairn = json.load(open(os.path.join(out, "indexbench.json")))
ref = json.load(open(os.path.join(out, "hnswlib.json")))
npy = json.load(open(os.path.join(out, "numpy.json")))


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


print("build vectors/s        cairn     hnswlib   ratio")
for t in (1, 2):
    c = cairn["build"][f"threads{t}"]["vectors_per_s"]
    h = ref[f"build_{t}_thread" + ("s" if t > 1 else "")]["vectors_per_s"]
    print(f"  {t} thread(s)        {c:9.0f} {h:9.0f}   {ratio(c, h)}")

print("\nunfiltered k=10, one query per call, 1 thread")
print("  ef   cairn recall  qps     p50ms  p99ms | hnswlib recall qps    p50ms  p99ms | qps ratio")
hq = ref["search_single_thread_one_query_per_call"]
for row in cairn["unfiltered"]:
    h = hq.get(f"ef{row['ef']}")
    hs = (f"{h['recall_at_10']:.4f} {h['qps']:6.0f} {h['p50_ms']:.3f} {h['p99_ms']:.3f} | {ratio(row['qps'], h['qps'])}"
          if h else "-")
    print(f"  {row['ef']:<4} {row['recall_at_10']:.4f}  {row['qps']:7.0f} {row['p50_ms']:.3f} {row['p99_ms']:.3f} | {hs}")
for target in ("0.95", "0.99"):
    c = cairn.get(f"unfiltered_at_recall_{target}")
    hs = sorted((int(k[2:]), v) for k, v in hq.items() if v["recall_at_10"] >= float(target))
    if c and hs:
        h = hs[0][1]
        print(f"  recall>={target}: cairn ef={c['ef']} {c['qps']:.0f} QPS p50 {c['p50_ms']:.3f} ms; "
              f"hnswlib ef={hs[0][0]} {h['qps']:.0f} QPS p50 {h['p50_ms']:.3f} ms -> {ratio(c['qps'], h['qps'])}")

print("\nfiltered k=10 (cairn planner; roaring bitmap -> allowed set -> search, per query)")
print("  filter              allowed  recall  qps      p50ms   p99ms  | numpy p50ms | plans")
for name in sorted(cairn.get("filtered", {}), key=lambda n: (n.split("_")[0], -float(n.split("_")[1]))):
    r = cairn["filtered"][name]
    n = npy["filters"].get(name, {})
    print(f"  {name:<19} {r['allowed']:7d}  {r['recall_at_10']:.4f}  {r['qps']:8.0f} {r['p50_ms']:7.3f} {r['p99_ms']:7.3f} "
          f"| {n.get('numpy_bruteforce_p50_ms', float('nan')):8.3f}    | {r['plans']}")
print(f"\nnumpy brute force, unfiltered: p50 {npy['numpy_bruteforce_unfiltered']['p50_ms']:.3f} ms")
print(f"hnswlib python filter callback (ef=100): "
      + ", ".join(f"{k} recall {v['recall_at_10']:.3f} p50 {v['p50_ms']:.2f} ms" for k, v in ref["filtered_ef100_python_filter"].items()))
m = cairn["memory"]
print(f"\nmemory: cairn native {m['native_bytes_per_vector']:.0f} B/vector, RSS delta {m['rss_delta_bytes_per_vector']:.0f} B/vector; "
      f"hnswlib RSS delta {ref['index_rss_delta_mib'] * 2**20 / ref['n']:.0f} B/vector")
p = cairn["persistence"]
print(f"index file: cairn {p['index_file_bytes']} B, hnswlib {ref['index_file_bytes']} B; hydrate (memory store) + first query "
      f"{p['hydrate_from_memory_store_and_first_query_s'] * 1e3:.0f} ms; hnswlib load + first query (warm) "
      f"{ref['load_index_warm_cache_s'] * 1e3:.0f} ms; from the local S3 server + first query: "
      + (f"{p['load_from_s3_and_first_query_s'] * 1e3:.0f} ms" if 'load_from_s3_and_first_query_s' in p else p['s3_load']))
k = cairn["kernels_ns_per_distance"]
print("\nkernels, ns per distance (d=%d), each called through a C function pointer as hnswlib calls its own; "
      "ratio = hnswlib's time / Swift's (>= 1: Swift at least as fast)" % cairn["dim"])
print(f"  {'pattern':<30} {'swift_l2':>9} {'hnswlib_l2':>11} {'ratio':>6} {'swift_ip':>9} {'hnswlib_ip':>11} {'ratio':>6} {'shim_avx2_l2':>13}")
for name, t in k.items():
    print(f"  {name:<30} {t['swift_l2']:9.2f} {t['hnswlib_sse_l2']:11.2f} {t['hnswlib_sse_l2'] / t['swift_l2']:6.2f} "
          f"{t['swift_ip']:9.2f} {t['hnswlib_sse_ip']:11.2f} {t['hnswlib_sse_ip'] / t['swift_ip']:6.2f} {t['shim_dispatch_l2']:13.2f}")
