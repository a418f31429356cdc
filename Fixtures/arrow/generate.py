#!/usr/bin/env python3
"""Writes the pyarrow fixtures that ArrowIPCTests read, and expected.json with every value they hold.

Run from the repository root: `.venv/bin/python Fixtures/arrow/generate.py` (pyarrow pinned in
requirements-test.txt). Output is deterministic; commit the .arrow/.arrows files with this script.
JSON conventions (shared with `cairn inspect arrow --json`): binary values are lowercase hex strings,
fixed-size and variable lists are arrays, structs are objects, nulls are null.
"""
import json
import os

import pyarrow as pa
import pyarrow.ipc as ipc

HERE = os.path.dirname(os.path.abspath(__file__))


def primitives():
    n = 10
    cols = {
        "i32": pa.array([None if i % 4 == 1 else (i * 7 - 30) for i in range(n)], pa.int32()),
        "i64": pa.array([None if i % 5 == 2 else (i - 5) * (2 ** 40) for i in range(n)], pa.int64()),
        "u32": pa.array([None if i == 3 else i * 400_000_000 for i in range(n)], pa.uint32()),
        "u64": pa.array([None if i == 9 else i * (2 ** 50) for i in range(n)], pa.uint64()),
        "f32": pa.array([None if i == 0 else i * 0.1 - 0.35 for i in range(n)], pa.float32()),
        "f64": pa.array([None if i == 7 else i * 1.5e-3 - 2.0 for i in range(n)], pa.float64()),
        "flag": pa.array([None if i % 3 == 2 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "dense": pa.array(list(range(n)), pa.uint32()),  # no nulls: no validity buffer
    }
    fields = [pa.field(k, v.type, nullable=(k != "dense")) for k, v in cols.items()]
    return pa.schema(fields), [pa.record_batch(list(cols.values()), schema=pa.schema(fields))]


def strings():
    words = ["", "a", "héllo", "日本語のテキスト", "emoji 🧭🪨", None, "tab\tnew\nline", "x" * 300]
    cols = {
        "s": pa.array(words, pa.utf8()),
        "b": pa.array([None if w is None else w.encode("utf-8")[::-1] for w in words], pa.binary()),
        "ls": pa.array(words[::-1], pa.large_utf8()),
        "lb": pa.array([None if w is None else bytes([len(w) % 256, 0, 255]) for w in words], pa.large_binary()),
    }
    return pa.schema([pa.field(k, v.type) for k, v in cols.items()]), [pa.record_batch(list(cols.values()),
                                                                                           names=list(cols))]


def nested_schema():
    emb = pa.field("embedding", pa.list_(pa.field("item", pa.float32()), 4), metadata={"unit": "cosine"})
    return pa.schema([
        pa.field("key", pa.utf8(), nullable=False, metadata={"role": "sort-key"}),
        emb,
        pa.field("ids", pa.list_(pa.uint32())),
        pa.field("scores", pa.list_(pa.float32())),
        pa.field("meta", pa.struct([pa.field("a", pa.int32()), pa.field("b", pa.utf8()),
                                    pa.field("c", pa.bool_())])),
    ], metadata={"cairn.format": "block", "version": "1", "unicode": "ключ"})


def nested_batch(n, start=0):
    sch = nested_schema()
    keys = [f"k{start + i:04d}" for i in range(n)]
    emb = [None if (start + i) % 5 == 3 else [float(start + i) + j * 0.25 for j in range(4)] for i in range(n)]
    ids = [None if (start + i) % 4 == 2 else list(range(start + i, start + i + (start + i) % 3)) for i in range(n)]
    scores = [[] if (start + i) % 3 == 0 else [0.5 * (start + i), -1.0] for i in range(n)]
    meta = [None if (start + i) % 6 == 4 else {"a": start + i, "b": None if (start + i) % 2 else f"m{start + i}",
                                                "c": (start + i) % 2 == 0} for i in range(n)]
    arrays = [pa.array(keys, pa.utf8()), pa.array(emb, sch.field("embedding").type),
              pa.array(ids, pa.list_(pa.uint32())), pa.array(scores, pa.list_(pa.float32())),
              pa.array(meta, sch.field("meta").type)]
    return pa.record_batch(arrays, schema=sch)


def write_file(name, schema, batches, compression=None):
    path = os.path.join(HERE, name)
    opts = ipc.IpcWriteOptions(compression=compression)
    with ipc.new_file(path, schema, options=opts) as w:
        for b in batches:
            w.write_batch(b)
    return path


def write_stream(name, schema, batches, compression=None):
    path = os.path.join(HERE, name)
    opts = ipc.IpcWriteOptions(compression=compression)
    with ipc.new_stream(path, schema, options=opts) as w:
        for b in batches:
            w.write_batch(b)
    return path


def to_json_value(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, list):
        return [to_json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: to_json_value(x) for k, x in v.items()}
    return v


def describe(path, stream=False):
    with pa.memory_map(path) as src:
        reader = ipc.open_stream(src) if stream else ipc.open_file(src)
        batches = list(reader) if stream else [reader.get_batch(i) for i in range(reader.num_record_batches)]
        sch = reader.schema
    return {
        "format": "stream" if stream else "file",
        "metadata": {k.decode(): v.decode() for k, v in (sch.metadata or {}).items()},
        "fields": [{"name": f.name, "type": str(f.type), "nullable": f.nullable,
                    "metadata": {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}} for f in sch],
        "batches": [{name: to_json_value(b.column(name).to_pylist()) for name in sch.names} for b in batches],
    }


def main():
    expected = {}
    ps, pb = primitives()
    ss, sb = strings()
    ns = nested_schema()
    nb = [nested_batch(12)]
    multi = [nested_batch(5, 0), nested_batch(0, 5), nested_batch(7, 5)]
    empty_schema = pa.schema(list(ps) + list(ss) + list(ns))
    empty = [pa.record_batch([pa.array([], f.type) for f in empty_schema], schema=empty_schema)]
    files = [
        ("primitives.arrow", ps, pb, None, False),
        ("strings.arrow", ss, sb, None, False),
        ("nested.arrow", ns, nb, None, False),
        ("multi_batch.arrow", ns, multi, None, False),
        ("empty.arrow", empty_schema, empty, None, False),
        ("primitives_zstd.arrow", ps, pb, "zstd", False),
        ("strings_zstd.arrow", ss, sb, "zstd", False),
        ("nested_zstd.arrow", ns, multi, "zstd", False),
        ("nested.arrows", ns, multi, None, True),
        ("strings_zstd.arrows", ss, sb, "zstd", True),
    ]
    for name, schema, batches, comp, stream in files:
        path = (write_stream if stream else write_file)(name, schema, batches, comp)
        expected[name] = describe(path, stream)
    # Valid Arrow that Cairn refuses by name (tests expect `.unsupported`); not in expected.json.
    dict_batch = pa.record_batch([pa.array(["a", "b", "a"]).dictionary_encode()], names=["d"])
    write_file("unsupported_dictionary.arrow", dict_batch.schema, [dict_batch])
    write_file("unsupported_lz4.arrow", ss, sb, "lz4")
    date_batch = pa.record_batch([pa.array([1, 2], pa.date32())], names=["day"])
    write_file("unsupported_date.arrow", date_batch.schema, [date_batch])
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(f"generate.py: wrote {len(files)} fixtures and expected.json with pyarrow {pa.__version__}")


if __name__ == "__main__":
    main()
