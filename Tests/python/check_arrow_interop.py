#!/usr/bin/env python3
"""Arrow interoperability, Cairn -> pyarrow: `cairn inspect arrow --write-sample DIR` writes files in every
variant (file/stream, 8/64-byte alignment, plain/ZSTD); pyarrow reads each one and every value is compared
with the same formulas recomputed here. Also checks `cairn inspect arrow --json` on a pyarrow file and a
one-line error on a corrupt file. Needs $CAIRN_BIN. Exits non-zero on any difference.
"""
import json
import os
import subprocess
import sys
import tempfile

import pyarrow as pa
import pyarrow.ipc as ipc

CAIRN = os.environ.get("CAIRN_BIN", ".build/debug/cairn")
WORDS = ["", "héllo", "日本語", "🧭🪨", "tab\tx", "z" * 70]
BATCH_SIZES = [200, 0, 57]
VARIANTS = {
    "sample.arrow": ("file", None),
    "sample_zstd.arrow": ("file", "ZSTD"),
    "sample_zstd_partial.arrow": ("file", "ZSTD"),
    "sample_align8.arrow": ("file", None),
    "sample.arrows": ("stream", None),
    "sample_zstd_align8.arrows": ("stream", "ZSTD"),
}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def f32(x):
    """Round through float32 as pyarrow's to_pylist does."""
    return float(pa.array([x], pa.float32())[0].as_py())


def expected_row(g):
    return {
        "key": f"key{g:06d}",
        "doc": None if g % 7 == 3 else WORDS[g % 6] + f"#{g}",
        "bin": None if g % 5 == 1 else bytes([g % 256, g * 7 % 256, 0])[: g % 4],
        "lstr": None if g % 4 == 0 else f"L{g}",
        "lbin": bytes([255, g % 256]),
        "flag": None if g % 11 == 0 else g % 2 == 1,
        "i32": None if g % 13 == 0 else g * 7919 - 50000,
        "i64": None if g % 9 == 0 else g * 2 ** 40 - 2 ** 45,
        "u32": (g * 2654435761) % 2 ** 32,
        "u64": None if g % 17 == 0 else g << 44,
        "f32": None if g % 19 == 0 else f32(g * 0.25 - 3),
        "f64": g / 3.0,
        "embedding": None if g % 10 == 9 else [f32(g), f32(-g / 4), 0.5, f32(g * 0.125)],
        "ids": None if g % 6 == 5 else [g + j for j in range(g % 4)],
        "scores": [j + 0.125 for j in range(g % 3)],
        "meta": None if g % 8 == 5 else {"a": g, "b": None if g % 2 == 0 else f"s{g}", "c": g % 3 == 0},
    }


EXPECTED_TYPES = {
    "key": pa.utf8(), "doc": pa.utf8(), "bin": pa.binary(), "lstr": pa.large_utf8(), "lbin": pa.large_binary(),
    "flag": pa.bool_(), "i32": pa.int32(), "i64": pa.int64(), "u32": pa.uint32(), "u64": pa.uint64(),
    "f32": pa.float32(), "f64": pa.float64(), "embedding": pa.list_(pa.float32(), 4),
    "ids": pa.list_(pa.uint32()), "scores": pa.list_(pa.float32()),
    "meta": pa.struct([("a", pa.int32()), ("b", pa.utf8()), ("c", pa.bool_())]),
}


def read(path, fmt):
    with pa.memory_map(path) as src:
        if fmt == "file":
            r = ipc.open_file(src)
            batches = [r.get_batch(i) for i in range(r.num_record_batches)]
        else:
            r = ipc.open_stream(src)
            batches = list(r)
        return r.schema, batches


def check_sample(path, name):
    fmt, codec = VARIANTS[name]
    schema, batches = read(path, fmt)
    if [b.num_rows for b in batches] != BATCH_SIZES:
        fail(f"{name}: batch sizes {[b.num_rows for b in batches]}")
        return 0
    if schema.metadata != {b"cairn.sample": b"1", "ünïcode".encode(): "ключ".encode()}:
        fail(f"{name}: schema metadata {schema.metadata}")
    if schema.field("key").metadata != {b"role": b"sort-key"} or schema.field("key").nullable:
        fail(f"{name}: key field {schema.field('key')}")
    if schema.field("embedding").metadata != {b"space": b"l2"}:
        fail(f"{name}: embedding metadata {schema.field('embedding').metadata}")
    for field in schema:
        if field.type != EXPECTED_TYPES[field.name]:
            fail(f"{name}: {field.name} has type {field.type}")
    compared = 0
    g0 = 0
    for b in batches:
        b.validate(full=True)
        cols = {n: b.column(n).to_pylist() for n in schema.names}
        for i in range(b.num_rows):
            want = expected_row(g0 + i)
            for n, v in want.items():
                if cols[n][i] != v:
                    fail(f"{name}: row {g0 + i} column {n}: pyarrow read {cols[n][i]!r}, expected {v!r}")
                compared += 1
        g0 += b.num_rows
    return compared


def check_inspect_json(tmp):
    """cairn inspect arrow --json on a pyarrow-written file reports pyarrow's schema and values."""
    path = os.path.join(tmp, "py.arrow")
    tbl = pa.table({"k": pa.array(["b", None, "ü"]), "v": pa.array([[1.5, 2.0], None, [0.0, -1.0]],
                                                                      pa.list_(pa.float32(), 2))})
    tbl = tbl.replace_schema_metadata({"m": "1"})
    with ipc.new_file(path, tbl.schema, options=ipc.IpcWriteOptions(compression="zstd")) as w:
        w.write_table(tbl)
    out = subprocess.run([CAIRN, "inspect", "arrow", "--json", path], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"inspect --json exited {out.returncode}: {out.stderr.strip()}")
        return
    doc = json.loads(out.stdout)
    want = {"schema": [{"name": "k", "type": "string", "nullable": True},
                       {"name": "v", "type": "fixed_size_list<item: float>[2]", "nullable": True}],
            "metadata": {"m": "1"}, "batches": 1, "num_rows": 3,
            "rows": [{"k": "b", "v": [1.5, 2.0]}, {"k": None, "v": None}, {"k": "ü", "v": [0.0, -1.0]}]}
    for k, v in want.items():
        if doc.get(k) != v:
            fail(f"inspect --json {k}: {doc.get(k)!r} != {v!r}")
    bad = os.path.join(tmp, "bad.arrow")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])
    out = subprocess.run([CAIRN, "inspect", "arrow", bad], capture_output=True, text=True)
    if out.returncode == 0 or len(out.stderr.strip().splitlines()) != 1 or out.returncode > 1:
        fail(f"inspect on a truncated file: exit {out.returncode}, stderr {out.stderr!r}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([CAIRN, "inspect", "arrow", "--write-sample", tmp], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL: cairn --write-sample exited {r.returncode}: {r.stderr}", file=sys.stderr)
            return 1
        total = 0
        for name in VARIANTS:
            total += check_sample(os.path.join(tmp, name), name)
        check_inspect_json(tmp)
    if failures:
        print(f"check_arrow_interop: {len(failures)} failures", file=sys.stderr)
        return 1
    print(f"check_arrow_interop: OK, pyarrow {pa.__version__} read {len(VARIANTS)} Cairn files, "
          f"{total} values equal; inspect --json agrees with pyarrow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
