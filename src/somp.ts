// The public SOMP entry points, documented. The addon checks every argument and option.
import { native } from "./native.js";
import type { NativeSompOptions, NativeSompResult } from "../binding.js";

/** Options and result of somp(): documented where the addon's surface is declared. */
export type SompOptions = NativeSompOptions;
export type SompResult = NativeSompResult;

/**
 * Greedy SOMP row selection (Lu et al., CVPR 2017) on a row-major n×m float32 matrix.
 * Runs on a worker thread; the weights must not be modified until the promise settles.
 */
export async function somp(weights: Float32Array, n: number, m: number, k: number, options?: SompOptions): Promise<SompResult> {
  return native.somp(weights, n, m, k, options);
}

/** somp() on the calling thread: for small matrices, where a worker's overhead dominates. */
export function sompSync(weights: Float32Array, n: number, m: number, k: number, options?: SompOptions): SompResult {
  return native.sompSync(weights, n, m, k, options);
}

/** SOMP starting from a Gram matrix G = W·Wᵀ (row-major n×n float64) the caller supplies. */
export async function sompFromGram(gram: Float64Array, n: number, k: number, options?: SompOptions): Promise<SompResult> {
  return native.sompGram(gram, n, k, options);
}

/**
 * Least-squares α (n×k, row-major) with W ≈ α · W[selected], α = G[:, S]·G[S, S]⁻¹,
 * for any selection. Rows of `selected` that lie in the span of earlier ones get no weight.
 */
export async function leastSquaresCoefficients(weights: Float32Array, n: number, m: number, selected: Int32Array): Promise<Float64Array> {
  return native.coefficients(weights, n, m, selected);
}

/** "openblas" or "portable": the BLAS the loaded addon was built with. */
export const blasBackend: string = native.backend;
