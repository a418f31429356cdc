#!/usr/bin/env python3
"""boto3 side of the S3 benchmark, and the side-by-side report.

  s3_boto3_bench.py bench [--sizes 1024,1048576,67108864] [--iterations 200,40,5]   -> JSON lines
  s3_boto3_bench.py report FILE.jsonl...                                            -> table with ratios

Server and credentials come from CAIRN_S3_TEST_URL (s3://bucket/prefix?endpoint=...&region=...) and AWS_*.
boto3 is measured as a user would call it: put_object/get_object for every size and, for objects above
8 MiB, also its transfer manager (upload_fileobj/download_fileobj: parallel multipart and ranged GETs).
"""
import argparse
import io
import json
import os
import sys
import time
import urllib.parse


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = int(round(p / 100 * (len(ordered) - 1)))
    return ordered[min(len(ordered) - 1, max(0, rank))]


def summary(tool, op, size, latencies):
    total = sum(latencies)
    return {
        "tool": tool, "op": op, "size": size, "n": len(latencies),
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
        "mib_per_s": size * len(latencies) / total / 1048576,
        "latencies_ms": [value * 1000 for value in latencies],
    }


def emit(tool, op, size, latencies):
    print(json.dumps(summary(tool, op, size, latencies), sort_keys=True), flush=True)


def random_data(size, seed):
    import random
    return random.Random(seed).randbytes(size)


def bench(args):
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    url = os.environ.get("CAIRN_S3_TEST_URL")
    if not url:
        sys.exit("s3_boto3_bench.py: set CAIRN_S3_TEST_URL and AWS_* credentials")
    parsed = urllib.parse.urlsplit(url)
    options = dict(urllib.parse.parse_qsl(parsed.query))
    bucket = parsed.netloc
    prefix = parsed.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    prefix += "s3bench/"
    endpoint = options.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = options.get("region") or os.environ.get("AWS_REGION") or "us-east-1"
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name=region,
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=16, retries={"max_attempts": 1}))
    transfer = TransferConfig()  # boto3's defaults: 8 MiB threshold and chunks, 10 threads

    sizes = [int(s) for s in args.sizes.split(",")]
    iterations = [int(n) for n in args.iterations.split(",")]
    for size, n in zip(sizes, iterations):
        data = random_data(size, size)
        key = prefix + f"boto3-{size}"
        client.put_object(Bucket=bucket, Key=key, Body=data)
        client.get_object(Bucket=bucket, Key=key)["Body"].read()
        puts, gets = [], []
        for _ in range(n):
            start = time.perf_counter()
            client.put_object(Bucket=bucket, Key=key, Body=data)
            puts.append(time.perf_counter() - start)
        for _ in range(n):
            start = time.perf_counter()
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            gets.append(time.perf_counter() - start)
            assert len(body) == size
        emit("boto3", "PUT", size, puts)
        emit("boto3", "GET", size, gets)
        if size > transfer.multipart_threshold:
            puts, gets = [], []
            for _ in range(n):
                start = time.perf_counter()
                client.upload_fileobj(io.BytesIO(data), bucket, key, Config=transfer)
                puts.append(time.perf_counter() - start)
            for _ in range(n):
                out = io.BytesIO()
                start = time.perf_counter()
                client.download_fileobj(bucket, key, out, Config=transfer)
                gets.append(time.perf_counter() - start)
                assert out.getbuffer().nbytes == size
            emit("boto3-transfer", "PUT", size, puts)
            emit("boto3-transfer", "GET", size, gets)
        client.delete_object(Bucket=bucket, Key=key)


def human(size):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size // scale} {unit}"
    return f"{size} B"


def report(args):
    rows = []
    for path in args.files:
        with open(path) as handle:
            rows += [json.loads(line) for line in handle if line.strip().startswith("{")]
    signing = [r for r in rows if r.get("op") == "sigv4-sign-get"]
    # Rounds of the same measurement are pooled: every latency of every round counts once.
    pooled = {}
    for r in rows:
        if "size" in r:
            pooled.setdefault((r["tool"], r["op"], r["size"]), []).extend(v / 1000 for v in r["latencies_ms"])
    results = {k: summary(k[0], k[1], k[2], v) for k, v in pooled.items()}
    print(f"{'op':<4} {'size':>7} {'tool':<22} {'MiB/s':>9} {'p50 ms':>9} {'p99 ms':>9}  vs best boto3")
    failures = []
    for op in ("PUT", "GET"):
        for size in sorted({k[2] for k in results}):
            boto = [results[k] for k in results if k[1] == op and k[2] == size and k[0].startswith("boto3")]
            best = max(boto, key=lambda r: r["mib_per_s"]) if boto else None
            for tool in ("cairn", "cairn-parallel-parts", "cairn-single-request", "boto3", "boto3-transfer"):
                r = results.get((tool, op, size))
                if not r:
                    continue
                ratio = ""
                if best and tool.startswith("cairn"):
                    value = r["mib_per_s"] / best["mib_per_s"]
                    ratio = f"{value:.2f}x ({best['tool']})"
                    if tool == "cairn" and value < 1:
                        failures.append(f"{op} {human(size)}: {value:.2f}x")
                print(f"{op:<4} {human(size):>7} {tool:<22} {r['mib_per_s']:>9.1f} {r['p50_ms']:>9.2f} {r['p99_ms']:>9.2f}  {ratio}")
    for s in signing[-1:]:
        print(f"SigV4 signing of a typical S3 GET: {s['us_per_request']:.2f} us/request wall, "
              f"{s.get('cpu_us_per_request', 0):.2f} us CPU "
              f"(presigned URL {s['presign_us_per_url']:.2f} us), {s['n']} iterations")
    if failures:
        print("Cairn slower than boto3 on: " + ", ".join(failures))
    else:
        print("Cairn at least as fast as boto3 on every size")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--sizes", default="1024,1048576,67108864")
    b.add_argument("--iterations", default="200,40,5")
    r = sub.add_parser("report")
    r.add_argument("files", nargs="+", help="JSON-lines files of both tools, any number of rounds")
    args = parser.parse_args()
    bench(args) if args.command == "bench" else report(args)


if __name__ == "__main__":
    main()
