"""How the vector index scales: exact (flat) vs HNSW at 10k, 100k and 1M vectors.

Synthetic 384-dim unit vectors drawn around 2,000 random centres (clustered,
like real embeddings; uniform noise would flatter nothing and punish HNSW).
For each size: build time, index memory (serialized bytes), single-query
latency p50 over 200 queries, and HNSW recall@10 against exact search.
This is what sets tutor.index.EXACT_MAX (the HNSW settings here are the shipped ones).

    .venv/bin/python bench/bench_scale.py [--max 1000000]
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np
from common import pct, write_results

DIM = 384


def vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((2000, DIM)).astype("float32")
    x = centres[rng.integers(0, 2000, n)] + 0.6 * rng.standard_normal((n, DIM)).astype("float32")
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
        row["flat_bytes"] = int(faiss.serialize_index(flat).nbytes)
        row["flat_query_ms_p50"], exact = measure(flat, queries)

        t0 = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.hnsw.efSearch = 96
        hnsw.add(data)
        row["hnsw_build_s"] = round(time.perf_counter() - t0, 2)
        row["hnsw_bytes"] = int(faiss.serialize_index(hnsw).nbytes)
        row["hnsw_query_ms_p50"], approx = measure(hnsw, queries)
        row["hnsw_recall@10"] = round(
            float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])),
            4,
        )
        for key in ("flat_query_ms_p50", "hnsw_query_ms_p50"):
            row[key] = round(row[key], 3)
        print(row, flush=True)
        rows.append(row)
        del data, flat, hnsw
    write_results("scale", {"threads": faiss.omp_get_max_threads(), "rows": rows})


if __name__ == "__main__":
    main()
