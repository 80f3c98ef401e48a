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
