// A plain reference SOMP, written to be obviously correct rather than fast.
// It keeps the residual rows R explicitly: R = W minus its projection onto the span of the
// rows selected so far (modified Gram–Schmidt), and scores every unselected row j by
//   score(j) = (Σ_s |⟨r_s, w_j⟩|^p)^{1/p} / ‖w_j‖.
// The two tolerances and the tie rule are the ones DESIGN.md §2 and native/somp.h define.

export const BREAKDOWN_TOLERANCE = 1e-10;
export const TIE_TOLERANCE = 1e-9;

export interface ReferenceResult {
  indices: number[];
  energy: number[];
  rankDeficient: boolean;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/** Largest score wins; scores within TIE_TOLERANCE of it tie, and ties go to the lowest index. */
export function pickBest(scores: Map<number, number>): number | undefined {
  let best = -1;
  for (const s of scores.values()) best = Math.max(best, s);
  if (best < 0) return undefined;
  const ties = [...scores].filter(([, s]) => s >= 0 && s >= best * (1 - TIE_TOLERANCE)).map(([j]) => j);
  return Math.min(...ties);
}

export function referenceSomp(weights: Float32Array, n: number, m: number, k: number, p: 1 | 2 = 2): ReferenceResult {
  const rows = Array.from({ length: n }, (_, i) => Float64Array.from(weights.subarray(i * m, (i + 1) * m)));
  const residuals = rows.map((r) => Float64Array.from(r));
  const squaredNorms = rows.map((r) => dot(r, r));
  const trace = squaredNorms.reduce((a, b) => a + b, 0);
  const unselected = new Set(Array.from({ length: n }, (_, i) => i));
  const result: ReferenceResult = { indices: [], energy: [], rankDeficient: false };
  let energy = trace > 0 ? 0 : 1;
  let broken = false;

  for (let t = 0; t < k; t++) {
    const residualEnergy = (j: number) => dot(residuals[j], residuals[j]);
    if (!broken) broken = Math.max(0, ...[...unselected].map(residualEnergy)) <= BREAKDOWN_TOLERANCE * trace;
    let chosen: number | undefined;
    if (!broken) {
      const scores = new Map<number, number>();
      for (const j of unselected) {
        const eligible = residualEnergy(j) > BREAKDOWN_TOLERANCE * trace && squaredNorms[j] > 0;
        if (!eligible) {
          scores.set(j, -1);
          continue;
        }
        const correlations = residuals.map((r) => Math.abs(dot(r, rows[j])));
        const aggregate = p === 2 ? Math.sqrt(correlations.reduce((a, c) => a + c * c, 0)) : correlations.reduce((a, c) => a + c, 0);
        scores.set(j, aggregate / Math.sqrt(squaredNorms[j]));
      }
      chosen = pickBest(scores);
      broken = chosen === undefined;
    }
    if (broken) {
      // Breakdown: the remaining rows in order of decreasing norm, ties to the lowest index.
      chosen = pickBest(new Map([...unselected].map((j) => [j, squaredNorms[j]])));
      result.rankDeficient = true;
    } else {
      const r = residuals[chosen!];
      const length = Math.sqrt(dot(r, r));
      const direction = r.map((v) => v / length);
      for (const residual of residuals) {
        const c = dot(residual, direction);
        for (let i = 0; i < m; i++) residual[i] -= c * direction[i];
      }
      energy = 1 - residuals.reduce((a, res) => a + dot(res, res), 0) / trace;
    }
    unselected.delete(chosen!);
    result.indices.push(chosen!);
    result.energy.push(energy);
  }
  return result;
}
