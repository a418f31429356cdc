"""How many unindexed rows the log tail's sketch bound passes over (decision 0020), by the kind of data: the same
bound as `ProjectionSketch` / `cairn_sketch_admit` (16 directions of most variance fitted on the first 2,048 rows,
int8 codes of each row's projection with their quantization slack, the length the projection leaves out), against
a threshold as the tail gives it: the 10th nearest distance among the rows the tail index already holds (here the
first half). Prints, per dataset, the share of the other half whose bound is below it (the rows still read whole).

    .venv-chroma/bin/python Benchmarks/sketch_bound.py     # numpy only; the standard dataset from Benchmarks/dataset.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402

N, D, COMPONENTS, SAMPLE = 50_000, 128, 16, 2048


def quantize(x):
    scale = np.abs(x).max(-1, keepdims=True) / 127
    return np.round(x / scale).astype(np.int64), scale[..., 0]


def survivors(base, queries):
    sample = base[:SAMPLE].astype(np.float64)
    _, vectors = np.linalg.eigh(np.cov((sample - sample.mean(0)).T))
    directions = vectors[:, ::-1][:, :COMPONENTS].T
    indexed, rest = base[: N // 2], base[N // 2:]
    projected = rest @ directions.T
    codes, scales = quantize(projected)
    norms = (rest * rest).sum(1)
    left_out = np.sqrt(np.maximum(norms - (projected * projected).sum(1), 0))
    shares = []
    for q in queries[:100]:
        ceiling = np.sort(((indexed - q) ** 2).sum(1))[9]
        pq = directions @ q
        qcodes, qscale = quantize(pq)
        slack = qscale * (np.abs(qcodes).sum() / 2 + COMPONENTS * (127 / 2 + 0.25))
        q_left = np.sqrt(max(q @ q - pq @ pq, 0))
        largest = scales * (qscale * (codes @ qcodes) + slack) + q_left * left_out
        shares.append(float(((q @ q + norms - 2 * largest) < ceiling).mean()))
    return np.mean(shares), np.max(shares)


def main():
    rng = np.random.default_rng(7)
    standard = dataset.load()
    sets = {"standard (100 clusters, noise 0.3)": (standard["base"][:N], standard["queries"])}
    iso = rng.standard_normal((N + 100, D))
    sets["isotropic Gaussian"] = (iso[:N], iso[N:])
    centres = rng.standard_normal((1000, D)) * 0.5
    for power in (0.8, 0.5):
        spectrum = np.arange(1, D + 1) ** -power
        data = (centres[rng.integers(0, 1000, N + 100)] + rng.standard_normal((N + 100, D)) * 0.5) * spectrum
        sets[f"1,000 clusters, spectrum k^-{power}"] = (data[:N], data[N:])
    for name, (base, queries) in sets.items():
        mean, most = survivors(base.astype(np.float64), queries.astype(np.float64))
        print(f"{name:36s} rows read whole: mean {mean:.3f}, most {most:.3f}")


if __name__ == "__main__":
    main()
