// Applies the chosen channels to the model: every registered tensor axis is gathered once
// (all groups on it together, so Concat offsets stay right), counts in attributes and
// Reshape shapes follow the new widths, and value_info entries that would now be stale are
// dropped (ONNX Runtime re-infers them).
import { onnx, dimsOf, type ModelProto } from "../onnx/proto.js";
import { elementBytes, setTensorBytes, tensorBytes, tensorIntegers } from "../onnx/tensor.js";
import type { ChannelAnalysis, CountFix } from "../graph/analyze.js";
import type { GroupId } from "../graph/channel-groups.js";
import { keptAlongAxis, type KeptChannels } from "../select/group-matrix.js";
import { gatherAxes } from "./gather.js";

function keptCount(analysis: ChannelAnalysis, segments: GroupId[], kept: KeptChannels): number {
  return segments.reduce((s, g) => s + (kept.get(analysis.groups.find(g))?.length ?? analysis.groups.size(g)), 0);
}

function applyCountFix(analysis: ChannelAnalysis, fix: CountFix, kept: KeptChannels): void {
  const count = keptCount(analysis, fix.segments, kept);
  if (fix.kind === "attribute") {
    const attribute = fix.node.attribute!.find((a) => a.name === fix.name)!;
    attribute.i = count;
    return;
  }
  const values = tensorIntegers(fix.tensor, analysis.external);
  values[fix.entry] = count * fix.block;
  const bytes = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
  fix.tensor.dataType = onnx.TensorProto.DataType.INT64;
  setTensorBytes(fix.tensor, dimsOf(fix.tensor), bytes, analysis.external);
}

export function applyPlan(model: ModelProto, analysis: ChannelAnalysis, kept: KeptChannels): void {
  for (const [tensor, axes] of analysis.slices.axes) {
    const dims = dimsOf(tensor);
    const keep = dims.map((_, axis) => keptAlongAxis(analysis, axes, axis, kept));
    if (keep.every((k) => !k)) continue;
    const size = elementBytes(tensor);
    const gathered = gatherAxes(tensorBytes(tensor, analysis.external), dims, size, keep);
    // gatherAxes returned a fresh buffer: the input's bytes are never written.
    setTensorBytes(tensor, gathered.dims, gathered.bytes, analysis.external);
  }
  for (const fix of analysis.countFixes) applyCountFix(analysis, fix, kept);
  const changed = (name: string) => (analysis.layouts.get(name)?.segments ?? []).some((g) => kept.has(analysis.groups.find(g)));
  const graph = model.graph!;
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !changed(v.name ?? ""));
}
