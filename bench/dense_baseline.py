"""The same Gram-form SOMP written the way a NumPy user would: per step a dense rank-one
update of the whole n×n matrix and all column norms recomputed. Used by bench/somp.bench.ts
as the baseline the native code is measured against. Reads float32 row-major W from a file.
Prints JSON: {"gram_seconds", "select_seconds", "indices"}."""
import json
import sys
import time

import numpy as np

path, n, m, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
w = np.fromfile(path, dtype=np.float32).reshape(n, m).astype(np.float64)

start = time.perf_counter()
gram = w @ w.T
gram_seconds = time.perf_counter() - start

start = time.perf_counter()
row_norms = np.sqrt(np.diag(gram).copy())
gamma = gram.copy()
column_norms = np.linalg.norm(gamma, axis=0)
selected = []
for _ in range(k):
    score = column_norms / row_norms
    score[selected] = -1.0
    j = int(np.argmax(score))
    d = gamma[:, j] / np.sqrt(gamma[j, j])
    gamma -= np.outer(d, d)
    column_norms = np.linalg.norm(gamma, axis=0)
    selected.append(j)
select_seconds = time.perf_counter() - start

print(json.dumps({"gram_seconds": gram_seconds, "select_seconds": select_seconds, "indices": selected}))
