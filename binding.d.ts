// The exact surface of the native addon (native/addon.cc). Only src/native.ts loads it.

export interface NativeSompOptions {
  /** p in score(j) = ‖Γ[:, j]‖_p / ‖w_j‖: 2 (the paper, default) or 1 (Tropp's SOMP). */
  p?: 1 | 2;
  /** Also return α (n×k, row-major) with W ≈ α · W[indices]. */
  coefficients?: boolean;
  /** somp only: see each row through these columns of W (m is then W's row length). */
  columns?: Int32Array;
}

export interface NativeSompResult {
  /** Selected rows in selection order. */
  indices: Int32Array;
  /** Captured energy 1 − trace(Γ)/trace(G) after each step. */
  energy: Float64Array;
  /** True when fewer than k rows were picked by the score (the rows' rank is below k). */
  rankDeficient: boolean;
  /** How many picks the score made before the breakdown fill took over. */
  greedyPicks: number;
  /** "row": iteration on the n×n Gram; "column": on the m×m projected Gram (p = 2, m < n). */
  form: "row" | "column";
  /** α, n×k row-major, when options.coefficients was set. */
  coefficients?: Float64Array;
  gramSeconds: number;
  selectSeconds: number;
}

/** A group's channels in an activation viewed as [outer, axisLength, inner]: channel c owns
 *  axis entries offset + c·block + b (b < block). */
export interface ChannelView {
  outer: number;
  axisLength: number;
  inner: number;
  offset: number;
  channels: number;
  block: number;
}

export interface NativeBinding {
  /** "openblas" or "portable". */
  readonly backend: string;
  somp(weights: Float32Array, n: number, m: number, k: number, options?: NativeSompOptions): Promise<NativeSompResult>;
  sompSync(weights: Float32Array, n: number, m: number, k: number, options?: NativeSompOptions): NativeSompResult;
  sompGram(gram: Float64Array, n: number, k: number, options?: NativeSompOptions): Promise<NativeSompResult>;
  coefficients(weights: Float32Array, n: number, m: number, selected: Int32Array): Promise<Float64Array>;
  /** Adds sampled activation vectors to gram (C×C) and sums (C) in place; resolves to the sample count. */
  accumulateGram(gram: Float64Array, sums: Float64Array, data: Float32Array, view: ChannelView, maxPositions: number): Promise<number>;
  /** αᵀ·x for α (n×k) and x (n×cols): k×cols. */
  mixRows(alpha: Float64Array, n: number, k: number, x: Float32Array, cols: number): Promise<Float32Array>;
  measureGemmGflops(n: number, repeats: number): number;
}
