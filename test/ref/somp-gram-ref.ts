// The dense Gram form of SOMP, written plainly: Γ starts at G and every step subtracts the
// full rank-one update d·dᵀ, then recomputes every column norm. Equivalent to the
// explicit-residual reference (Γ = R·Rᵀ) and cheap enough (O(k·n²)) for the sizes where
// the native code switches to threads and blocked updates.
import { BREAKDOWN_TOLERANCE, pickBest } from "./somp-ref.js";

export function referenceGramSomp(gram: Float64Array, n: number, k: number, p: 1 | 2 = 2): number[] {
  const gamma = Float64Array.from(gram);
  const diag = Array.from({ length: n }, (_, j) => gram[j * n + j]);
  const trace = diag.reduce((a, b) => a + b, 0);
  const unselected = new Set(Array.from({ length: n }, (_, i) => i));
  const picks: number[] = [];
  let broken = false;
  for (let t = 0; t < k; t++) {
    if (!broken) broken = Math.max(0, ...[...unselected].map((j) => gamma[j * n + j])) <= BREAKDOWN_TOLERANCE * trace;
    let chosen: number | undefined;
    if (!broken) {
      const scores = new Map<number, number>();
      for (const j of unselected) {
        if (!(gamma[j * n + j] > BREAKDOWN_TOLERANCE * trace && diag[j] > 0)) {
          scores.set(j, -1);
          continue;
        }
        let aggregate = 0;
        for (let s = 0; s < n; s++) aggregate += p === 2 ? gamma[s * n + j] ** 2 : Math.abs(gamma[s * n + j]);
        scores.set(j, (p === 2 ? Math.sqrt(aggregate) : aggregate) / Math.sqrt(diag[j]));
      }
      chosen = pickBest(scores);
      broken = chosen === undefined;
    }
    if (broken) {
      chosen = pickBest(new Map([...unselected].map((j) => [j, diag[j]])));
    } else {
      const s = chosen!;
      const root = Math.sqrt(gamma[s * n + s]);
      const d = Float64Array.from({ length: n }, (_, i) => gamma[i * n + s] / root);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gamma[i * n + j] -= d[i] * d[j];
    }
    unselected.delete(chosen!);
    picks.push(chosen!);
  }
  return picks;
}

/** G = W·Wᵀ in float64 for a row-major float32 W (n×m). */
export function gramOf(w: Float32Array, n: number, m: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < m; c++) s += w[i * m + c] * w[j * m + c];
      g[i * n + j] = g[j * n + i] = s;
    }
  return g;
}
