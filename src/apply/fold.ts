// Folding dropped channels into their consumers: a consumer's weight axis over the group's
// channels becomes W·α (per block of H·W columns behind a Flatten), and the constant part
// β of a data fit becomes a bias W·β.
import { native } from "../native.js";
import type { ChannelAnalysis, ConsumerRecord } from "../graph/analyze.js";
import type { AxisSegment } from "../graph/slice-registry.js";
import type { Decisions } from "./decisions.js";

/** Values per temporary copy when folding (16 MB of float32). Measured on VGG-16 at
 *  --keep 0.5: 64 MB chunks put the whole run's peak RSS at 2.48× the file, 16 MB at 2.23×. */
const FOLD_CHUNK_VALUES = 4 * 1024 * 1024;

/** The decision's α when it may be folded into this axis segment. */
export function foldableAlpha(analysis: ChannelAnalysis, segment: AxisSegment, decisions: Decisions): Float64Array | undefined {
  const root = analysis.groups.find(segment.group);
  return analysis.groups.unfoldableReason(root) === undefined ? decisions.get(root)?.alpha : undefined;
}

/**
 * Rebuilds one axis of a float32 tensor from its segments: folded segments become αᵀ·X,
 * the others keep their chosen entries. With `outerRows` (axis 1 only) just those rows of
 * axis 0 are read and written, so a weight's own kept rows need no intermediate copy.
 * Returns the new values and dims.
 */
export async function rebuildAxis(
  analysis: ChannelAnalysis, values: Float32Array, dims: number[], axis: number, segments: AxisSegment[], decisions: Decisions,
  outerRows?: Int32Array,
): Promise<{ values: Float32Array; dims: number[] }> {
  const outer = outerRows ? outerRows.length : dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const source = (o: number) => (outerRows ? outerRows[o] : o);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const length = dims[axis];
  const parts: Array<{ width: number; fill: (out: Float32Array, newLength: number, at: number) => Promise<void> }> = [];
  for (const segment of segments) {
    const alpha = foldableAlpha(analysis, segment, decisions);
    const kept = decisions.get(analysis.groups.find(segment.group))?.kept;
    const { offset, channels: n, block } = segment;
    if (alpha && kept) {
      const k = kept.length;
      // A channel's block·inner entries are contiguous on both sides: one copy each. The
      // outer rows go in chunks so the temporary copy stays small next to the weight.
      const run = block * inner;
      const rowsPerChunk = Math.max(1, Math.floor(FOLD_CHUNK_VALUES / (n * run)));
      parts.push({
        width: k * block,
        fill: async (out, newLength, at) => {
          for (let o0 = 0; o0 < outer; o0 += rowsPerChunk) {
            const rows = Math.min(rowsPerChunk, outer - o0), columns = rows * run;
            const x = new Float32Array(n * columns);
            for (let j = 0; j < n; j++)
              for (let o = 0; o < rows; o++) {
                const from = (source(o0 + o) * length + offset + j * block) * inner;
                x.set(values.subarray(from, from + run), j * columns + o * run);
              }
            const y = await native.mixRows(alpha, n, k, x, columns);
            for (let t = 0; t < k; t++)
              for (let o = 0; o < rows; o++) out.set(y.subarray(t * columns + o * run, t * columns + (o + 1) * run), ((o0 + o) * newLength + at + t * block) * inner);
          }
        },
      });
      continue;
    }
    const channels = kept ?? Int32Array.from({ length: n }, (_, i) => i);
    const run = block * inner;
    parts.push({
      width: channels.length * block,
      fill: async (out, newLength, at) => {
        for (let o = 0; o < outer; o++)
          channels.forEach((c, i) => {
            const from = (source(o) * length + offset + c * block) * inner;
            out.set(values.subarray(from, from + run), (o * newLength + at + i * block) * inner);
          });
      },
    });
  }
  const newLength = parts.reduce((s, p) => s + p.width, 0);
  const out = new Float32Array(outer * newLength * inner);
  let at = 0;
  for (const part of parts) {
    await part.fill(out, newLength, at);
    at += part.width;
  }
  const newDims = [...dims];
  newDims[axis] = newLength;
  if (outerRows) newDims[0] = outerRows.length;
  return { values: out, dims: newDims };
}

/**
 * W·β for a consumer: per output, the sum over the group's entries of weight × β of their
 * channel (over every block entry and kernel position). Computed on the original weight.
 */
export function biasContribution(consumer: ConsumerRecord, values: Float32Array, dims: number[], segment: AxisSegment, beta: Float64Array): Float64Array | undefined {
  const { axis, outputAxis } = consumer;
  const outputs = dims[outputAxis];
  const contribution = new Float64Array(outputs);
  const inputs = dims[axis];
  const entryBeta = (e: number) => {
    const local = e - segment.offset;
    return local >= 0 && local < segment.channels * segment.block ? beta[Math.floor(local / segment.block)] : 0;
  };
  if (outputAxis === 0 && axis === 1) {
    const inner = dims.slice(2).reduce((a, b) => a * b, 1);
    for (let o = 0; o < outputs; o++)
      for (let e = 0; e < inputs; e++) {
        const scale = entryBeta(e);
        if (scale === 0) continue;
        let s = 0;
        for (let i = 0; i < inner; i++) s += values[(o * inputs + e) * inner + i];
        contribution[o] += scale * s;
      }
    return contribution;
  }
  if (outputAxis === 1 && axis === 0 && dims.length === 2) {
    for (let e = 0; e < inputs; e++) {
      const scale = entryBeta(e);
      if (scale !== 0) for (let o = 0; o < outputs; o++) contribution[o] += scale * values[e * outputs + o];
    }
    return contribution;
  }
  return undefined;
}
