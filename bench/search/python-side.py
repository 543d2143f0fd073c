# Python faiss (Debian's python3-faiss) on the same shard file, plus the machine's limits:
# memory read bandwidth (numpy sum over the shard's rows) and OpenBLAS sgemm GFLOP/s.
import json, sys, time
import numpy as np
import faiss

path, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
index = faiss.read_index(path)
xb = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * d).reshape(index.ntotal, d)
rng = np.random.default_rng(7)

def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return min(times)

out = {"ntotal": index.ntotal}
out["read_gbs"] = xb.nbytes / best(lambda: xb.sum(dtype=np.float32), 3) / 1e9
a = rng.standard_normal((64, d), dtype=np.float32)
b = xb[: min(index.ntotal, 200_000)]
out["sgemm_gflops"] = 2 * 64 * d * b.shape[0] / best(lambda: a @ b.T, 3) / 1e9
big = rng.standard_normal((4096, d), dtype=np.float32)
out["sgemm_peak_gflops"] = 2 * 4096 * d * 4096 / best(lambda: big @ big[:4096].T, 3) / 1e9
for nq in (1, 64):
    q = rng.standard_normal((nq, d), dtype=np.float32); faiss.normalize_L2(q)
    out[f"faiss_b{nq}_s"] = best(lambda: index.search(q, k), 5 if nq == 1 else 3)
print(json.dumps(out))
