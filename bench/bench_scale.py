"""How the vector index scales: exact (flat) vs IVF (shipped) and HNSW, 10k to 1M vectors.

Synthetic 384-dim unit vectors shaped like sentence embeddings (see `vectors`).
For each size: build time, index memory (serialized size), single-query
latency p50 over 200 queries, and recall@10 of the approximate indexes against
exact search. This is what sets tutor.index.EXACT_MAX and the IVF settings.

    .venv/bin/python bench/bench_scale.py [--max 1000000]
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np
from common import pct, write_results

from tutor.index import make_faiss

DIM = 384


def vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors with the shape of sentence embeddings: clustered, low intrinsic dimension.

    Points are drawn around 2,000 centres in a 32-dimensional space and mapped
    into 384 dimensions by one fixed random projection, plus a little noise.
    (Isotropic noise in all 384 dimensions makes every point of a cluster almost
    equally far from every other, so "nearest neighbours" would mean nothing.)
    """
    basis = np.random.default_rng(42).standard_normal((32, DIM)).astype("float32")
    centres = np.random.default_rng(7).standard_normal((2000, 32)).astype("float32")
    z = centres[rng.integers(0, 2000, n)] + 0.5 * rng.standard_normal((n, 32)).astype("float32")
    x = z @ basis + 0.5 * rng.standard_normal((n, DIM)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def measure(index: faiss.Index, queries: np.ndarray, k: int = 10) -> tuple[float, np.ndarray]:
    """Single-query latency as the tutor runs it: one OpenMP thread (see tutor.search)."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(ids[0])
    faiss.omp_set_num_threads(threads)
    return pct(times, 50), np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=1_000_000)
    parser.add_argument(
        "--hnsw-max", type=int, default=100_000, help="HNSW builds take ~1 h at 1M here"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for n in [s for s in (10_000, 100_000, 1_000_000) if s <= args.max]:
        data = vectors(n, rng)
        queries = vectors(200, rng)
        ids = np.arange(n, dtype="int64")
        row = {"n": n}

        t0 = time.perf_counter()
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
        flat.add_with_ids(data, ids)
        row["flat_build_s"] = round(time.perf_counter() - t0, 2)
        row["flat_mb"] = round(faiss.serialize_index(flat).nbytes / 2**20, 1)
        row["flat_query_ms_p50"], exact = measure(flat, queries)

        t0 = time.perf_counter()
        ivf, _ = make_faiss(data, ids, kind="ivf")  # the shipped approximate index
        row["ivf_build_s"] = round(time.perf_counter() - t0, 2)
        row["ivf_mb"] = round(faiss.serialize_index(ivf).nbytes / 2**20, 1)
        row["ivf_query_ms_p50"], approx = measure(ivf, queries)
        row["ivf_recall@10"] = recall(approx, exact)

        if n <= args.hnsw_max:
            t0 = time.perf_counter()
            hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 80
            hnsw.hnsw.efSearch = 96
            hnsw.add(data)
            row["hnsw_build_s"] = round(time.perf_counter() - t0, 2)
            row["hnsw_mb"] = round(faiss.serialize_index(hnsw).nbytes / 2**20, 1)
            row["hnsw_query_ms_p50"], approx = measure(hnsw, queries)
            row["hnsw_recall@10"] = recall(approx, exact)
        row = {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
        print(row, flush=True)
        rows.append(row)
        del data, flat, ivf
    write_results("scale", {"build_threads": faiss.omp_get_max_threads(), "rows": rows})


def recall(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(
        np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact, strict=True)])
    )


if __name__ == "__main__":
    main()
