// Seeded pseudo-random numbers for reproducible test matrices (mulberry32).
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) as a Float32Array. */
export function randomNormal(count: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.max(next(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/** A row-major n×m matrix of rank r: (n×r)·(r×m) of normal samples, rounded to float32. */
export function lowRank(n: number, m: number, r: number, seed: number): Float32Array {
  const a = randomNormal(n * r, seed);
  const b = randomNormal(r * m, seed + 1);
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += a[i * r + t] * b[t * m + j];
      out[i * m + j] = s;
    }
  return out;
}
