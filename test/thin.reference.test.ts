// The plan on the paper's own case (a plain conv chain, Flatten → Gemm) equals the plain
// reference SOMP applied layer by layer, each layer's columns cut to the channels the
// previous layer kept — the paper's procedure written out by hand.
import { describe, expect, it } from "vitest";
import { thin } from "../src/index.js";
import { readModel } from "../src/onnx/read.js";
import { dimsOf } from "../src/onnx/proto.js";
import { tensorFloats } from "../src/onnx/tensor.js";
import { referenceSomp } from "./ref/somp-ref.js";
import { fixture } from "./helpers/fixtures.js";

function weight(path: string, name: string): { data: Float32Array; dims: number[] } {
  const loaded = readModel(path);
  const tensor = loaded.model.graph!.initializer!.find((t) => t.name === name)!;
  return { data: Float32Array.from(tensorFloats(tensor, loaded.external)), dims: dimsOf(tensor) };
}

/** Rows of W (out × in × rest) with the input axis cut to `inputs` (each a block of `block`). */
function adjustedRows(w: { data: Float32Array; dims: number[] }, inputs: number[] | undefined, block: number): { rows: Float32Array; n: number; m: number } {
  const n = w.dims[0];
  const perRow = w.data.length / n;
  const keptColumns = inputs ? inputs.flatMap((c) => Array.from({ length: block }, (_, b) => c * block + b)) : undefined;
  const innerPerInput = inputs ? perRow / (w.dims[1] / (w.dims.length === 2 ? block : 1)) : 1;
  const columns = keptColumns
    ? keptColumns.flatMap((c) => (w.dims.length === 2 ? [c] : Array.from({ length: innerPerInput }, (_, k) => c * innerPerInput + k)))
    : Array.from({ length: perRow }, (_, k) => k);
  const rows = new Float32Array(n * columns.length);
  for (let r = 0; r < n; r++) columns.forEach((c, j) => (rows[r * columns.length + j] = w.data[r * perRow + c]));
  return { rows, n, m: columns.length };
}

/** Plain least squares: α (n×k) minimising ‖W − α·W[S]‖ by the normal equations, Gaussian elimination. */
function plainLeastSquares(w: Float32Array, n: number, m: number, selected: number[]): number[][] {
  const k = selected.length;
  const dot = (a: number, b: number) => { let s = 0; for (let c = 0; c < m; c++) s += w[a * m + c] * w[b * m + c]; return s; };
  return Array.from({ length: n }, (_, j) => {
    const a = selected.map((s) => [...selected.map((t) => dot(s, t)), dot(s, j)]);
    for (let col = 0; col < k; col++) {
      const pivot = a.slice(col).reduce((best, row, i) => (Math.abs(row[col]) > Math.abs(a[best][col]) ? col + i : best), col);
      [a[col], a[pivot]] = [a[pivot], a[col]];
      for (let r = 0; r < k; r++) if (r !== col) { const f = a[r][col] / a[col][col]; for (let c = col; c <= k; c++) a[r][c] -= f * a[col][c]; }
    }
    return a.map((row, i) => row[k] / a[i][i]);
  });
}

describe("the paper's layer-by-layer selection", () => {
  it("vgg_plain: kept channels equal the reference SOMP applied layer by layer", async () => {
    const path = fixture("vgg_plain");
    const layers: Array<[string, number]> = [
      ["features.0.weight", 1],
      ["features.2.weight", 1],
      ["features.5.weight", 1],
      ["classifier.0.weight", 16], // after Flatten of 16 × 4 × 4: 16 columns per channel
      ["classifier.3.weight", 1],
    ];
    const { plan } = await thin(path, { keep: 0.5 });
    let previous: number[] | undefined;
    for (const [i, [name, block]] of layers.entries()) {
      const { rows, n, m } = adjustedRows(weight(path, name), previous, block);
      const expected = referenceSomp(rows, n, m, Math.round(n / 2)).indices.sort((a, b) => a - b);
      expect(plan.groups[i].weights).toEqual([name]);
      expect(plan.groups[i].kept).toEqual(expected);
      previous = expected;
    }
  });

  it("vgg_plain: the parameter count follows from the plan's widths alone", async () => {
    const { plan, report } = await thin(fixture("vgg_plain"), { keep: 0.5 });
    const [c1, c2, c3, f1, f2, f3] = plan.groups.map((g) => g.to);
    const predicted = c1 * 3 * 9 + c1 + c2 * c1 * 9 + c2 + c3 * c2 * 9 + c3 + f1 * c3 * 16 + f1 + f2 * f1 + f2 + f3 * f2 + f3;
    expect(report.parameters.after).toBe(predicted);
  });

  it("vgg_plain with --compensate weights: the next conv equals W₂·α with α solved the plain way", async () => {
    const path = fixture("vgg_plain");
    const { model, plan } = await thin(path, { keep: 0.5, compensate: "weights" });
    const w1 = weight(path, "features.0.weight"), w2 = weight(path, "features.2.weight");
    const kept1 = plan.groups[0].kept, kept2 = plan.groups[1].kept;
    const alpha = plainLeastSquares(w1.data, 8, 27, kept1);
    const thinned = readModel(model);
    const got = tensorFloats(thinned.model.graph!.initializer!.find((t) => t.name === "features.2.weight")!, thinned.external);
    expect(got.length).toBe(kept2.length * kept1.length * 9);
    let worst = 0;
    kept2.forEach((o, oi) => kept1.forEach((_, t) => {
      for (let q = 0; q < 9; q++) {
        let expected = 0;
        for (let j = 0; j < 8; j++) expected += w2.data[(o * 8 + j) * 9 + q] * alpha[j][t];
        worst = Math.max(worst, Math.abs(got[(oi * kept1.length + t) * 9 + q] - expected));
      }
    }));
    expect(worst).toBeLessThan(1e-4);
  });

  it("bn_chain: rows are selected as BatchNormalization folds them", async () => {
    const path = fixture("bn_chain");
    const { plan } = await thin(path, { keep: 0.5 });
    const w = weight(path, "body.0.weight");
    const gamma = weight(path, "body.1.weight").data, variance = weight(path, "body.1.running_var").data;
    const { rows, n, m } = adjustedRows(w, undefined, 1);
    for (let r = 0; r < n; r++) for (let j = 0; j < m; j++) rows[r * m + j] *= gamma[r] / Math.sqrt(variance[r] + 1e-5);
    expect(plan.groups[0].kept).toEqual(referenceSomp(rows, n, m, 4).indices.sort((a, b) => a - b));
  });
});
