// The matrix SOMP sees for one group: each producer's weight rows, restricted to the input
// channels already kept upstream (the paper's column adjustment), folded with a following
// BatchNormalization, scaled to unit Frobenius norm, and laid side by side.
import { dimsOf } from "../onnx/proto.js";
import { tensorFloats } from "../onnx/tensor.js";
import { ThinError } from "../errors.js";
import { gatherAxes, range } from "../apply/gather.js";
import type { ChannelAnalysis } from "../graph/analyze.js";
import type { GroupId, ProducerRecord } from "../graph/channel-groups.js";

/** Index of the first NaN or ±Infinity (v − v is NaN exactly for those), or −1. A plain
 *  loop: findIndex with a callback took seconds on VGG-16's 102M-value fc6. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
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

function producerRows(analysis: ChannelAnalysis, producer: ProducerRecord, kept: KeptChannels): { data: Float32Array; n: number; m: number } {
  const dims = dimsOf(producer.weight);
  const floats = tensorFloats(producer.weight, analysis.external);
  const bad = firstNonFinite(floats);
  if (bad >= 0) throw new ThinError(`tensor "${producer.weight.name}" holds ${Number.isNaN(floats[bad]) ? "NaN" : "an infinite value"} at element ${bad}; weights must be finite`);
  const tensorAxes = analysis.slices.axes.get(producer.weight);
  const keep = dims.map((_, axis) => (axis === producer.rowAxis ? undefined : keptAlongAxis(analysis, tensorAxes, axis, kept)));
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
  return { data, n, m };
}

/** Row matrix (n × Σm) of a group for selection. */
export function groupMatrix(analysis: ChannelAnalysis, group: GroupId, kept: KeptChannels): { data: Float32Array; n: number; m: number } {
  const blocks = analysis.groups.producers(group).map((p) => producerRows(analysis, p, kept));
  const n = blocks[0].n;
  if (blocks.length === 1) return blocks[0];
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
  return { data, n, m };
}
