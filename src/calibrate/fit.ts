// The least-squares fit of dropped channels on kept ones from activation statistics:
// a ≈ α·a[S] + β with α = Σ[:, S]·Σ[S, S]⁻¹ and β = μ − α·μ[S] (Σ the covariance).

/** Covariance (n×n) from the running Gram and sums of `count` samples. */
export function covariance(gram: Float64Array, sums: Float64Array, count: number): { cov: Float64Array; mean: Float64Array } {
  const n = sums.length;
  const mean = sums.map((s) => s / count);
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cov[i * n + j] = gram[i * n + j] / count - mean[i] * mean[j];
  // A constant channel's variance can round to −1e-17; a variance is never negative.
  for (let i = 0; i < n; i++) cov[i * n + i] = Math.max(0, cov[i * n + i]);
  return { cov, mean };
}

/** α (n×k, columns in the order of kept) and β (n). Kept channels map to themselves. */
export function fitCoefficients(cov: Float64Array, mean: Float64Array, kept: Int32Array): { alpha: Float64Array; beta: Float64Array } {
  const n = mean.length, k = kept.length;
  // Cholesky of Σ[S, S] with a tiny ridge: kept channels can be (nearly) collinear.
  let trace = 0;
  for (const s of kept) trace += cov[s * n + s];
  const ridge = 1e-9 * (trace / k || 1);
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      let s = cov[kept[i] * n + kept[j]] + (i === j ? ridge : 0);
      for (let t = 0; t < j; t++) s -= l[i * k + t] * l[j * k + t];
      l[i * k + j] = i === j ? Math.sqrt(Math.max(s, ridge)) : s / l[j * k + j];
    }
  const alpha = new Float64Array(n * k);
  const beta = Float64Array.from(mean);
  const position = new Map(Array.from(kept, (s, t) => [s, t]));
  const y = new Float64Array(k);
  for (let row = 0; row < n; row++) {
    const keptAt = position.get(row);
    if (keptAt !== undefined) {
      alpha[row * k + keptAt] = 1;
      beta[row] = 0;
      continue;
    }
    for (let i = 0; i < k; i++) {
      let s = cov[kept[i] * n + row];
      for (let t = 0; t < i; t++) s -= l[i * k + t] * y[t];
      y[i] = s / l[i * k + i];
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = y[i];
      for (let t = i + 1; t < k; t++) s -= l[t * k + i] * alpha[row * k + t];
      alpha[row * k + i] = s / l[i * k + i];
    }
    for (let t = 0; t < k; t++) beta[row] -= alpha[row * k + t] * mean[kept[t]];
  }
  return { alpha, beta };
}
