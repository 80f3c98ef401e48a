// How the channels of one group are chosen from its row matrix: SOMP (the paper), the
// largest ℓ1 row norms (Li et al. 2017), or a seeded random draw. One interface for all.
import { somp } from "../somp.js";
import type { MethodName } from "./methods.js";
import { firstNonFinite, type RowMatrix } from "./group-matrix.js";
import { ThinError } from "../errors.js";

/** The same message whichever selector finds it. */
function nonFinite(matrix: RowMatrix, value: number): ThinError {
  return new ThinError(`${matrix.source} holds ${Number.isNaN(value) ? "NaN" : "an infinite value"}; weights must be finite`);
}

export type { MethodName } from "./methods.js";
export { METHODS } from "./methods.js";

export interface Selection {
  /** The chosen rows, in the order the method chose them. */
  order: number[];
  /** SOMP only: captured energy after each pick. */
  energy?: number[];
  /** SOMP only: the rows span fewer dimensions than the width asked for. */
  rankDeficient?: boolean;
  /** When asked for and the method's own factorisation gives it: α (n×k, columns in `order`). */
  alpha?: Float64Array;
}

export interface Selector {
  readonly method: MethodName;
  /** Chooses k of the matrix's rows (with α where the method's own factorisation gives it). */
  select(rows: RowMatrix, k: number, options?: { coefficients?: boolean }): Promise<Selection>;
}

class SompSelector implements Selector {
  readonly method = "somp";
  constructor(private p: 1 | 2) {}
  async select(matrix: RowMatrix, k: number, options: { coefficients?: boolean } = {}): Promise<Selection> {
    const { data, n, m, columns } = matrix;
    let result;
    try {
      // The addon checks every value natively: no JavaScript pass over large weights.
      result = await somp(data, n, m, k, { p: this.p, coefficients: options.coefficients, columns });
    } catch (error) {
      const match = /weights\[(\d+)\] is/.exec((error as Error).message);
      if (match) throw nonFinite(matrix, data[Number(match[1])]);
      throw error;
    }
    return { order: Array.from(result.indices), energy: Array.from(result.energy), rankDeficient: result.rankDeficient, alpha: result.coefficients };
  }
}

class L1Selector implements Selector {
  readonly method = "l1";
  async select(matrix: RowMatrix, k: number): Promise<Selection> {
    const { data, n, m, columns } = matrix;
    const norms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      if (columns) for (const c of columns) s += Math.abs(data[i * m + c]);
      else for (let j = 0; j < m; j++) s += Math.abs(data[i * m + j]);
      if (!Number.isFinite(s)) throw nonFinite(matrix, s);
      norms[i] = s;
    }
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => norms[b] - norms[a] || a - b);
    return { order: order.slice(0, k) };
  }
}

class RandomSelector implements Selector {
  readonly method = "random";
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  private next(): number {
    // mulberry32: one stream per run, so a seed reproduces the whole plan.
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  async select(matrix: RowMatrix, k: number): Promise<Selection> {
    // Random choice reads no value, but a model with NaN weights is still bad input.
    const bad = firstNonFinite(matrix.data);
    if (bad >= 0) throw nonFinite(matrix, matrix.data[bad]);
    const n = matrix.n;
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.next() * (n - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return { order: pool.slice(0, k) };
  }
}

export function createSelector(method: MethodName, options: { p?: 1 | 2; seed?: number } = {}): Selector {
  if (method === "somp") return new SompSelector(options.p ?? 2);
  if (method === "l1") return new L1Selector();
  return new RandomSelector(options.seed ?? 0);
}
