// --verify: run the original and the thinned model on the same inputs in ONNX Runtime and
// say how close the thin model stays: output cosine similarity, relative error, top-1
// agreement, and accuracy when labels are given.
import { decodeModel } from "./onnx/read.js";
import { toNumber } from "./onnx/proto.js";
import { readInputs, readLabels } from "./calibrate/npy.js";
import { runInBatches } from "./calibrate/runtime.js";
import { ThinError } from "./errors.js";

export interface VerifyOptions {
  /** Inputs (.npy file or folder, or an array, batch first); random inputs when absent. */
  data?: string | { data: Float32Array; shape: number[] };
  /** Labels (.json array or integer .npy), one per input. */
  labels?: string | number[];
  /** How many random inputs to draw when no data is given. */
  randomSamples?: number;
}

export interface VerifyReport {
  samples: number;
  /** Inputs were random normal draws rather than data. */
  randomInputs: boolean;
  cosine: number;
  relativeError: number;
  top1Agreement: number;
  accuracy?: { original: number; thinned: number };
}

/** Normal draws in the graph input's shape (symbolic dims taken as 1), seeded. */
function randomInputs(model: Uint8Array, samples: number): { data: Float32Array; shape: number[] } {
  const input = decodeModel(model, "model").graph!.input!.find((i) => i.type?.tensorType);
  const dims = (input?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue ? toNumber(d.dimValue as never) : 1)).slice(1);
  const shape = [samples, ...dims];
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let state = 1;
  for (let i = 0; i < data.length; i += 2) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const u = Math.max(state / 4294967296, 1e-12);
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const r = Math.sqrt(-2 * Math.log(u));
    data[i] = r * Math.cos(2 * Math.PI * (state / 4294967296));
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(2 * Math.PI * (state / 4294967296));
  }
  return { data, shape };
}

async function outputsOf(model: Uint8Array, inputs: { data: Float32Array; shape: number[] }): Promise<{ values: Float32Array; classes: number }> {
  const chunks: Float32Array[] = [];
  let classes = 1;
  await runInBatches(model, inputs, undefined, 64, (outputs) => {
    const first = Object.values(outputs)[0];
    classes = first.dims[first.dims.length - 1];
    chunks.push(Float32Array.from(first.data as Float32Array));
  });
  const values = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) values.set(c, (at += c.length) - c.length);
  return { values, classes };
}

function argmaxRows(values: Float32Array, classes: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r * classes < values.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    rows.push(best);
  }
  return rows;
}

export async function verifyModels(original: Uint8Array, thinned: Uint8Array, options: VerifyOptions = {}): Promise<VerifyReport> {
  const inputs = options.data === undefined ? randomInputs(original, options.randomSamples ?? 64) : typeof options.data === "string" ? readInputs(options.data) : options.data;
  const a = await outputsOf(original, inputs);
  const b = await outputsOf(thinned, inputs);
  if (a.values.length !== b.values.length) throw new ThinError(`the thinned model's output has ${b.values.length} values, the original's ${a.values.length}`);
  let dot = 0, aa = 0, bb = 0, diff = 0;
  for (let i = 0; i < a.values.length; i++) {
    dot += a.values[i] * b.values[i];
    aa += a.values[i] ** 2;
    bb += b.values[i] ** 2;
    diff += (a.values[i] - b.values[i]) ** 2;
  }
  const topA = argmaxRows(a.values, a.classes), topB = argmaxRows(b.values, b.classes);
  const report: VerifyReport = {
    samples: inputs.shape[0],
    randomInputs: options.data === undefined,
    cosine: dot / Math.sqrt(aa * bb || 1),
    relativeError: Math.sqrt(diff / (aa || 1)),
    top1Agreement: topA.filter((c, i) => c === topB[i]).length / topA.length,
  };
  if (options.labels !== undefined) {
    const labels = typeof options.labels === "string" ? readLabels(options.labels) : options.labels;
    if (labels.length !== topA.length) throw new ThinError(`${labels.length} labels for ${topA.length} outputs`);
    const accuracy = (top: number[]) => top.filter((c, i) => c === labels[i]).length / labels.length;
    report.accuracy = { original: accuracy(topA), thinned: accuracy(topB) };
  }
  return report;
}
