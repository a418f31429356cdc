"""Cairn-written Roaring bitmaps read by pyroaring: `cairn inspect bitmap --write-samples DIR` writes them."""
import json
import os
import subprocess
import sys
import tempfile

from pyroaring import BitMap

cairn = os.environ.get("CAIRN_BIN", ".build/debug/cairn")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([cairn, "inspect", "bitmap", "--write-samples", tmp], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(tmp, "samples.json")) as f:
        samples = json.load(f)
    failures = 0
    for name, members in samples.items():
        with open(os.path.join(tmp, name + ".bin"), "rb") as f:
            bm = BitMap.deserialize(f.read())
        if list(bm) != members:
            print(f"FAIL {name}: pyroaring read {len(bm)} members, expected {len(members)}")
            failures += 1
    if failures:
        sys.exit(1)
    print(f"roaring interop: pyroaring read all {len(samples)} Cairn-written bitmaps exactly")
