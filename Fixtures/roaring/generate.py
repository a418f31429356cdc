"""Writes Roaring bitmaps in the portable format with pyroaring, for Cairn's interoperability tests.

Run from the repository root: .venv/bin/python Fixtures/roaring/generate.py
Each NAME.bin is BitMap.serialize(); manifest.json gives, per file, its members as a recipe the Swift test
replays: {"values": [...]}, {"stride": [start, stop, step]} or {"ranges": [[start, stop], ...]}.
"""
import json
import os
import random

from pyroaring import BitMap

HERE = os.path.dirname(os.path.abspath(__file__))

rng = random.Random(42)
cases = {
    "empty": {"values": []},
    "small": {"values": [0, 1, 5, 100, 65535, 65536, 1 << 20]},
    "dense": {"stride": [0, 70000, 2]},  # a bitmap container
    "runs": {"ranges": [[1000, 50000], [200000, 300000]]},  # run containers after run_optimize
    "sparse_random": {"values": sorted(rng.sample(range(1 << 32), 2000))},
    "extremes": {"values": [0, 12345678, 1 << 31, (1 << 32) - 1]},
}

def members(recipe):
    if "values" in recipe:
        return recipe["values"]
    if "stride" in recipe:
        return list(range(*recipe["stride"]))
    return [v for start, stop in recipe["ranges"] for v in range(start, stop)]

manifest = {}
for name, recipe in cases.items():
    bm = BitMap(members(recipe))
    bm.run_optimize()
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(bm.serialize())
    manifest[name] = recipe
with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
print("wrote", len(cases), "bitmaps")
