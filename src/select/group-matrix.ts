// The matrix SOMP sees for one group: each producer's weight rows, restricted to the input
// channels already kept upstream (the paper's column adjustment), folded with a following
// BatchNormalization, scaled to unit Frobenius norm, and laid side by side.
import { dimsOf } from "../onnx/proto.js";
import { tensorFloats } from "../onnx/tensor.js";
import { gatherAxes, range } from "../apply/gather.js";
import type { ChannelAnalysis } from "../graph/analyze.js";
import type { GroupId, ProducerRecord } from "../graph/channel-groups.js";

/** Index of the first NaN or ±Infinity (v − v is NaN exactly for those), or −1. A plain
 *  loop: findIndex with a callback took seconds on VGG-16's 102M-value fc6. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * Rows for selection: `n` rows of `m` stored values, seen through `columns` when given
 * (a layer's weight with its inputs cut to those kept upstream, read straight from the
 * model's bytes instead of copied: 205 MB for VGG-16's fc6).
 */
export interface RowMatrix {
  data: Float32Array;
  n: number;
  m: number;
  columns?: Int32Array;
  /** The weights the rows come from, to name them in errors. */
  source: string;
}

/** Dense rows of exactly the columns seen. */
export function materialize(matrix: RowMatrix): RowMatrix {
  const { data, n, m, columns, source } = matrix;
  if (!columns) return matrix;
  const out = new Float32Array(n * columns.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < columns.length; c++) out[i * columns.length + c] = data[i * m + columns[c]];
  return { data: out, n, m: columns.length, source };
}

/** Flat row-major indices of the entries kept along each axis (undefined: all). */
function flatIndices(dims: number[], keep: (Int32Array | undefined)[]): Int32Array {
  let indices = new Int32Array([0]);
  dims.forEach((size, axis) => {
    const list = keep[axis] ?? range(size);
    const next = new Int32Array(indices.length * list.length);
    let at = 0;
    for (const base of indices) for (const i of list) next[at++] = base * size + i;
    indices = next;
  });
  return indices;
}

/** Kept channels (ascending) of every group decided so far, by root. */
export type KeptChannels = Map<GroupId, Int32Array>;

/** Entries of one tensor axis kept given the decisions so far (undefined: all of them). */
export function keptAlongAxis(analysis: ChannelAnalysis, tensorAxes: ReturnType<ChannelAnalysis["slices"]["axes"]["get"]>, axis: number, kept: KeptChannels): Int32Array | undefined {
  const segments = tensorAxes?.get(axis);
  if (!segments) return undefined;
  let restricted = false;
  const indices: number[] = [];
  for (const segment of segments) {
    const channels = kept.get(analysis.groups.find(segment.group));
    if (channels) restricted = true;
    for (const c of channels ?? range(segment.channels))
      for (let b = 0; b < segment.block; b++) indices.push(segment.offset + c * segment.block + b);
  }
  return restricted ? Int32Array.from(indices) : undefined;
}

function producerRows(analysis: ChannelAnalysis, producer: ProducerRecord, kept: KeptChannels, alone: boolean): RowMatrix {
  const dims = dimsOf(producer.weight);
  const floats = tensorFloats(producer.weight, analysis.external);
  const tensorAxes = analysis.slices.axes.get(producer.weight);
  const keep = dims.map((_, axis) => (axis === producer.rowAxis ? undefined : keptAlongAxis(analysis, tensorAxes, axis, kept)));
  if (alone && producer.rowAxis === 0 && !producer.batchNorm) {
    // Rows are already rows: hand the model's bytes over, seen through the kept columns.
    const n = dims[0], m = floats.length / n;
    return { data: floats, n, m, columns: keep.some((k) => k) ? flatIndices(dims.slice(1), keep.slice(1)) : undefined, source: `tensor "${producer.weight.name}"` };
  }
  const gathered = gatherAxes(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), dims, 4, keep);
  const values = new Float32Array(gathered.bytes.buffer, gathered.bytes.byteOffset, gathered.bytes.byteLength / 4);
  const n = gathered.dims[producer.rowAxis];
  const m = values.length / n;
  let data = values;
  if (producer.rowAxis !== 0) {
    // Only 2-D weights ([in, out] for MatMul, Gemm with transB = 0) have rows on axis 1.
    data = new Float32Array(values.length);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) data[j * m + i] = values[i * n + j];
  }
  if (producer.batchNorm) {
    if (data.buffer === floats.buffer) data = Float32Array.from(data); // never scale the model's own bytes
    const scale = tensorFloats(producer.batchNorm.scale, analysis.external);
    const variance = tensorFloats(producer.batchNorm.variance, analysis.external);
    for (let j = 0; j < n; j++) {
      const factor = scale[j] / Math.sqrt(variance[j] + producer.batchNorm.epsilon);
      for (let i = 0; i < m; i++) data[j * m + i] *= factor;
    }
  }
  return { data, n, m, source: `tensor "${producer.weight.name}"` };
}

/** Row matrix (n × Σm) of a group for selection; coupled producers side by side. */
export function groupMatrix(analysis: ChannelAnalysis, group: GroupId, kept: KeptChannels): RowMatrix {
  const producers = analysis.groups.producers(group);
  if (producers.length === 1) return producerRows(analysis, producers[0], kept, true);
  const blocks = producers.map((p) => producerRows(analysis, p, kept, false));
  const n = blocks[0].n;
  const m = blocks.reduce((s, b) => s + b.m, 0);
  const data = new Float32Array(n * m);
  let column = 0;
  for (const block of blocks) {
    // Unit Frobenius norm per producer, so no producer dominates the joint choice by scale.
    let sq = 0;
    for (const v of block.data) sq += v * v;
    const scale = sq > 0 ? 1 / Math.sqrt(sq) : 1;
    for (let j = 0; j < n; j++)
      for (let i = 0; i < block.m; i++) data[j * m + column + i] = block.data[j * block.m + i] * scale;
    column += block.m;
  }
  return { data, n, m, source: blocks.map((b) => b.source).join(", ") };
}
