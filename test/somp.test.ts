import { describe, expect, it } from "vitest";
import { somp, sompSync, sompFromGram, leastSquaresCoefficients, blasBackend } from "../src/index.js";
import { referenceSomp } from "./ref/somp-ref.js";
import { lowRank, randomNormal } from "./ref/random.js";

/** (n×k)·(k×m) with α n×k and the selected rows of W. */
function reconstruct(alpha: Float64Array, w: Float32Array, n: number, m: number, selected: Int32Array): Float64Array {
  const k = selected.length;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) {
      const a = alpha[i * k + t];
      if (a === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += a * w[selected[t] * m + j];
    }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function expectMatchesReference(w: Float32Array, n: number, m: number, k: number, p: 1 | 2 = 2) {
  const ref = referenceSomp(w, n, m, k, p);
  const got = sompSync(w, n, m, k, { p });
  expect(Array.from(got.indices)).toEqual(ref.indices);
  expect(got.rankDeficient).toBe(ref.rankDeficient);
  for (let t = 0; t < k; t++) expect(got.energy[t]).toBeCloseTo(ref.energy[t], 9);
  return got;
}

describe("native backend", () => {
  it("reports which BLAS it was built with", () => {
    expect(["openblas", "portable"]).toContain(blasBackend);
    if (process.env.ONNX_THIN_EXPECT_BACKEND) expect(blasBackend).toBe(process.env.ONNX_THIN_EXPECT_BACKEND);
  });
});

describe("SOMP matches the plain reference exactly", () => {
  const shapes: Array<[number, number, string]> = [
    [24, 60, "m > n"],
    [40, 12, "m < n"],
    [17, 17, "square"],
    [64, 9, "tall"],
  ];
  for (const [n, m, label] of shapes)
    for (const p of [1, 2] as const)
      for (const seed of [1, 2, 3])
        it(`random ${n}×${m} (${label}), p = ${p}, seed ${seed}, k = n`, () => {
          expectMatchesReference(randomNormal(n * m, seed * 100 + n), n, m, n, p);
        });

  it("uses the column-space form for p = 2 with m ≪ n, and still matches", () => {
    const n = 120, m = 10;
    const got = expectMatchesReference(randomNormal(n * m, 7), n, m, 40, 2);
    expect(got.form).toBe("column");
    expect(got.rankDeficient).toBe(true); // 10 columns: rank 10 < 40
    expect(sompSync(randomNormal(n * m, 7), n, m, 40, { p: 1 }).form).toBe("row");
  });

  for (const p of [1, 2] as const)
    it(`low-rank 30×40 of rank 5, p = ${p}: 5 greedy picks then the norm fill`, () => {
      const got = expectMatchesReference(lowRank(30, 40, 5, 11), 30, 40, 30, p);
      expect(got.rankDeficient).toBe(true);
      expect(got.greedyPicks).toBe(5);
      const plateau = Array.from(got.energy.subarray(4));
      for (const e of plateau) expect(e).toBeCloseTo(1, 9);
    });

  it("zero rows score 0 and come last, in index order", () => {
    const n = 12, m = 8;
    const w = randomNormal(n * m, 5);
    for (const zero of [2, 7, 9]) w.fill(0, zero * m, (zero + 1) * m);
    const got = expectMatchesReference(w, n, m, n);
    expect(Array.from(got.indices.subarray(9))).toEqual([2, 7, 9]);
  });

  it("an all-zero matrix breaks down at once and keeps index order", () => {
    const got = expectMatchesReference(new Float32Array(5 * 3), 5, 3, 5);
    expect(Array.from(got.indices)).toEqual([0, 1, 2, 3, 4]);
    expect(got.greedyPicks).toBe(0);
  });

  it("exact ties go to the lowest index", () => {
    // Orthogonal rows of equal norm: every score ties at every step.
    const n = 6;
    const eye = new Float32Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 3;
    expect(Array.from(expectMatchesReference(eye, n, n, n).indices)).toEqual([0, 1, 2, 3, 4, 5]);
    // Duplicated rows: the copy with the lower index is taken, the other one is in its span.
    const base = randomNormal(4 * 5, 9);
    const dup = new Float32Array(8 * 5);
    dup.set(base, 0);
    dup.set(base, 4 * 5);
    const got = expectMatchesReference(dup, 8, 5, 8);
    expect(Array.from(got.indices.subarray(0, 4)).every((i) => i < 4)).toBe(true);
    expect(got.greedyPicks).toBe(4);
  });
});

describe("energy and coefficients", () => {
  it("the energy curve is non-decreasing and reaches 1 at full rank", () => {
    for (const [n, m] of [[30, 50], [50, 30]]) {
      const { energy } = sompSync(randomNormal(n * m, n), n, m, n);
      for (let t = 1; t < n; t++) expect(energy[t]).toBeGreaterThanOrEqual(energy[t - 1] - 1e-12);
      expect(energy[Math.min(n, m) - 1]).toBeCloseTo(1, 9);
      expect(energy[0]).toBeGreaterThan(0);
    }
  });

  for (const [n, m, r, k] of [[30, 40, 6, 6], [30, 40, 6, 10], [60, 8, 8, 12], [20, 50, 20, 20]])
    it(`α reconstructs W exactly when k ≥ rank (${n}×${m}, rank ${r}, k = ${k})`, async () => {
      const w = r < Math.min(n, m) ? lowRank(n, m, r, n + k) : randomNormal(n * m, n + k);
      const got = await somp(w, n, m, k, { coefficients: true });
      const alpha = got.coefficients!;
      expect(alpha.length).toBe(n * k);
      const scale = Math.max(...Array.from(w, Math.abs));
      expect(maxAbsDiff(reconstruct(alpha, w, n, m, got.indices), w) / scale).toBeLessThan(1e-5);
      // Selected rows reproduce themselves exactly.
      got.indices.forEach((row, t) => expect(alpha[row * k + t]).toBe(1));
      // The standalone solver reconstructs W exactly too, and where α is unique (k ≤ rank)
      // it is the same α as SOMP's own factor gives. Beyond the rank many α are exact; the
      // two may then express W in different bases.
      const standalone = await leastSquaresCoefficients(w, n, m, got.indices);
      expect(maxAbsDiff(reconstruct(standalone, w, n, m, got.indices), w) / scale).toBeLessThan(1e-5);
      if (k <= r) expect(maxAbsDiff(standalone, alpha)).toBeLessThan(1e-6);
    });

  it("beyond the rank, the standalone α uses a well-conditioned basis whatever the order given", async () => {
    // Rank 3; rows 5 and 6 are nearly the same row. Asking for them first must not make
    // the coefficients blow up: the solver pivots on the largest residual.
    const n = 12, m = 20;
    const w = lowRank(n, m, 3, 8);
    for (let c = 0; c < m; c++) w[6 * m + c] = w[5 * m + c] * (1 + 1e-3);
    const alpha = await leastSquaresCoefficients(w, n, m, new Int32Array([5, 6, 0, 1, 2, 3]));
    const scale = Math.max(...Array.from(w, Math.abs));
    expect(maxAbsDiff(reconstruct(alpha, w, n, m, new Int32Array([5, 6, 0, 1, 2, 3])), w) / scale).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(alpha, Math.abs))).toBeLessThan(20);
  });

  it("α is the least-squares fit when k < rank (normal equations hold)", async () => {
    const n = 25, m = 40, k = 8;
    const w = randomNormal(n * m, 3);
    const selected = new Int32Array([3, 1, 4, 15, 9, 2, 6, 5]);
    const alpha = await leastSquaresCoefficients(w, n, m, selected);
    const fit = reconstruct(alpha, w, n, m, selected);
    // The residual W − α·W[S] is orthogonal to every selected row.
    for (let i = 0; i < n; i++)
      for (const s of selected) {
        let c = 0;
        for (let j = 0; j < m; j++) c += (w[i * m + j] - fit[i * m + j]) * w[s * m + j];
        expect(Math.abs(c)).toBeLessThan(1e-4);
      }
  });

  it("a column subset selects exactly as the copied submatrix, in both forms", () => {
    for (const [n, m] of [[30, 50], [90, 12]]) {
      const w = randomNormal(n * m, n + m);
      const columns = Int32Array.from({ length: Math.floor(m / 2) }, (_, i) => (i * 7) % m).filter((c, i, a) => a.indexOf(c) === i);
      const sub = new Float32Array(n * columns.length);
      for (let i = 0; i < n; i++) columns.forEach((c, j) => (sub[i * columns.length + j] = w[i * m + c]));
      const k = Math.min(10, n);
      expect(Array.from(sompSync(w, n, m, k, { columns }).indices)).toEqual(referenceSomp(sub, n, columns.length, k).indices);
    }
  });

  it("SOMP from a supplied Gram matrix selects the same rows", async () => {
    const n = 20, m = 30;
    const w = randomNormal(n * m, 21);
    const gram = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < m; c++) s += w[i * m + c] * w[j * m + c];
        gram[i * n + j] = s;
      }
    for (const p of [1, 2] as const) {
      const fromGram = await sompFromGram(gram, n, 12, { p });
      expect(Array.from(fromGram.indices)).toEqual(referenceSomp(w, n, m, 12, p).indices);
    }
  });
});
