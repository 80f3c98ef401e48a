// Applies the decisions to the model: every registered tensor axis is rebuilt once (all
// groups on it together, so Concat offsets stay right) — folded segments by α, the others
// gathered — then biases take W·β, counts in attributes and Reshape shapes follow the new
// widths, and value_info entries that would now be stale are dropped (ONNX Runtime
// re-infers them).
import { onnx, dimsOf, type ModelProto, type NodeProto, type TensorProto } from "../onnx/proto.js";
import { bytesOf, elementBytes, setTensorBytes, tensorBytes, tensorFloats, tensorIntegers } from "../onnx/tensor.js";
import type { ChannelAnalysis, ConsumerRecord, CountFix } from "../graph/analyze.js";
import type { GroupId } from "../graph/channel-groups.js";
import { keptAlongAxis, type KeptChannels } from "../select/group-matrix.js";
import { gatherAxes } from "./gather.js";
import { biasContribution, foldableAlpha, rebuildAxis } from "./fold.js";
import type { Decisions } from "./decisions.js";
import type { AxisSegment } from "../graph/slice-registry.js";

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function keptCount(analysis: ChannelAnalysis, segments: GroupId[], kept: KeptChannels): number {
  return segments.reduce((s, g) => s + (kept.get(analysis.groups.find(g))?.length ?? analysis.groups.size(g)), 0);
}

function applyCountFix(analysis: ChannelAnalysis, fix: CountFix, kept: KeptChannels): void {
  const count = keptCount(analysis, fix.segments, kept);
  if (fix.kind === "attribute") {
    fix.node.attribute!.find((a) => a.name === fix.name)!.i = count;
    return;
  }
  const values = tensorIntegers(fix.tensor, analysis.external);
  values[fix.entry] = count * fix.block;
  fix.tensor.dataType = onnx.TensorProto.DataType.INT64;
  setTensorBytes(fix.tensor, dimsOf(fix.tensor), bytesOf(new BigInt64Array(values.map(BigInt))), analysis.external);
}

/** W·β of every consumer that reads a group with a β, from the weights before any change. */
function biasAdditions(analysis: ChannelAnalysis, decisions: Decisions): Map<ConsumerRecord, Float64Array> {
  const additions = new Map<ConsumerRecord, Float64Array>();
  for (const consumer of analysis.consumers) {
    for (const segment of analysis.slices.axes.get(consumer.weight)?.get(consumer.axis) ?? []) {
      const beta = decisions.get(analysis.groups.find(segment.group))?.beta;
      if (!beta || !foldableAlpha(analysis, segment, decisions)) continue;
      const values = tensorFloats(consumer.weight, analysis.external);
      const contribution = biasContribution(consumer, values, dimsOf(consumer.weight), segment, beta);
      if (!contribution) continue;
      const sum = additions.get(consumer);
      if (sum) sum.forEach((_, i) => (sum[i] += contribution[i]));
      else additions.set(consumer, contribution);
    }
  }
  return additions;
}

/** A private bias = the node's own (already sliced) bias + W·β, cut to the node's own kept rows. */
function addBias(model: ModelProto, analysis: ChannelAnalysis, consumer: ConsumerRecord, addition: Float64Array, kept: KeptChannels): void {
  const graph = model.graph!;
  const { node } = consumer;
  const ownGroup = analysis.groups.roots().find((g) => analysis.groups.producers(g).some((p) => p.node === node));
  const ownKept = ownGroup === undefined ? undefined : kept.get(ownGroup);
  const added = ownKept ? Float64Array.from(ownKept, (i) => addition[i]) : addition;
  const existingName = typeof consumer.biasInput === "number" ? node.input?.[consumer.biasInput] : undefined;
  // The bias may be a private copy made above, which the original index does not know.
  const existing = existingName ? graph.initializer!.find((t) => t.name === existingName) ?? analysis.index.constantTensor(existingName) : undefined;
  const values = existing ? Float32Array.from(tensorFloats(existing, analysis.external)) : new Float32Array(added.length);
  values.forEach((v, i) => (values[i] = v + added[i]));
  const name = `${consumer.weight.name}::compensation_bias`;
  graph.initializer!.push({ name, dims: [values.length], dataType: FLOAT, rawData: bytesOf(values) });
  if (consumer.biasInput === "add") {
    // MatMul has no bias input: y = MatMul(...) becomes y = Add(MatMul(...), bias).
    const output = node.output![0];
    node.output![0] = `${output}::before_compensation_bias`;
    const at = graph.node!.indexOf(node);
    graph.node!.splice(at + 1, 0, { name: `${node.name || output}::compensation_bias`, opType: "Add", input: [node.output![0], name], output: [output] });
    return;
  }
  node.input = [...(node.input ?? [])];
  while (node.input.length < consumer.biasInput) node.input.push("");
  node.input[consumer.biasInput] = name;
  // The old bias goes if nothing else reads it, so the parameter count stays honest.
  if (existingName && analysis.index.initializers.has(existingName) && !graph.node!.some((n) => n.input?.includes(existingName)))
    graph.initializer = graph.initializer!.filter((t) => t.name !== existingName);
}

/**
 * Why a group's dropped channels cannot be folded into its readers, or undefined if they
 * can: every reader must be linear in them and hold float32 weights.
 */
export function foldBlocker(analysis: ChannelAnalysis, group: GroupId): string | undefined {
  const reason = analysis.groups.unfoldableReason(group);
  if (reason) return reason;
  const consumers = analysis.consumers.filter((c) => c.segments.some((g) => analysis.groups.find(g) === analysis.groups.find(group)));
  if (consumers.length === 0) return "no layer reads these channels through a weight";
  const notFloat = consumers.find((c) => c.weight.dataType !== FLOAT);
  return notFloat ? `weight "${notFloat.weight.name}" is not float32` : undefined;
}

/**
 * Gives each reader of a shared parameter whose channels are cut its own copy (a copy
 * nothing cuts would only add parameters); drops what nothing reads any more.
 */
function materialisePrivateCopies(model: ModelProto, analysis: ChannelAnalysis, kept: KeptChannels): void {
  const graph = model.graph!;
  const originals = new Set<TensorProto>();
  const isCut = (copy: TensorProto) => [...(analysis.slices.axes.get(copy) ?? [])].some(([axis]) => keptAlongAxis(analysis, analysis.slices.axes.get(copy), axis, kept));
  for (const { node, inputIndex, copy } of analysis.privateCopies) {
    if (!isCut(copy)) continue;
    const original = analysis.index.constantTensor(node.input![inputIndex]); // before rewiring
    if (original) originals.add(original);
    graph.initializer!.push(copy);
    node.input![inputIndex] = copy.name!;
  }
  // Identity nodes that only forwarded a shared parameter, and the parameter itself, go
  // once nothing reads them (chains of Identity: repeat until nothing changes).
  const forwardsOriginal = (n: NodeProto) => n.opType === "Identity" && originals.has(analysis.index.constantTensor(n.input?.[0] ?? "")!);
  for (let before = -1; before !== graph.node!.length; ) {
    before = graph.node!.length;
    const read = new Set([...graph.node!.flatMap((n) => n.input ?? []), ...(graph.output ?? []).map((o) => o.name ?? "")]);
    graph.node = graph.node!.filter((n) => !forwardsOriginal(n) || read.has(n.output![0]));
  }
  const read = new Set([...graph.node!.flatMap((n) => n.input ?? []), ...(graph.output ?? []).map((o) => o.name ?? "")]);
  graph.initializer = graph.initializer!.filter((t) => !originals.has(t) || read.has(t.name ?? ""));
}

type TensorAxes = NonNullable<ReturnType<ChannelAnalysis["slices"]["axes"]["get"]>>;

/** A consumer's weight with α folded into `folded` axes and its other axes cut. */
async function foldTensor(analysis: ChannelAnalysis, tensor: TensorProto, axes: TensorAxes, folded: Array<[number, AxisSegment[]]>, decisions: Decisions, kept: KeptChannels): Promise<void> {
  let dims = dimsOf(tensor);
  const keepOthers = dims.map((_, a) => (folded.some(([f]) => f === a) ? undefined : keptAlongAxis(analysis, axes, a, kept)));
  const floats = tensorFloats(tensor, analysis.external);
  let values: Float32Array;
  const [[axis, segments]] = folded;
  if (folded.length === 1 && axis === 1 && keepOthers.every((k, a) => a === 0 || !k)) {
    // Conv and Gemm (transB) weights: fold reading only the kept output rows.
    ({ values, dims } = await rebuildAxis(analysis, floats, dims, 1, segments, decisions, keepOthers[0] ?? undefined));
  } else {
    // Otherwise cut the other axes first, so the fold works on what is kept; the folded
    // axis keeps its offsets meanwhile.
    const cut = gatherAxes(bytesOf(floats), dims, 4, keepOthers);
    values = new Float32Array(cut.bytes.buffer, cut.bytes.byteOffset, cut.bytes.byteLength / 4);
    dims = cut.dims;
    for (const [foldAxis, foldSegments] of folded) ({ values, dims } = await rebuildAxis(analysis, values, dims, foldAxis, foldSegments, decisions));
  }
  // rebuildAxis always returns a new array: the model's own bytes are never written.
  setTensorBytes(tensor, dims, bytesOf(values), analysis.external);
}

/** Any tensor: every registered axis cut to the kept entries, in its own data type. */
function sliceTensor(analysis: ChannelAnalysis, tensor: TensorProto, axes: TensorAxes, kept: KeptChannels): void {
  const dims = dimsOf(tensor);
  const keep = dims.map((_, axis) => keptAlongAxis(analysis, axes, axis, kept));
  if (keep.every((k) => !k)) return;
  const gathered = gatherAxes(tensorBytes(tensor, analysis.external), dims, elementBytes(tensor), keep);
  // gatherAxes returned a fresh buffer: the input's bytes are never written.
  setTensorBytes(tensor, gathered.dims, gathered.bytes, analysis.external);
}

export async function applyPlan(model: ModelProto, analysis: ChannelAnalysis, decisions: Decisions): Promise<void> {
  const kept: KeptChannels = new Map([...decisions].map(([g, d]) => [g, d.kept]));
  materialisePrivateCopies(model, analysis, kept);
  const additions = biasAdditions(analysis, decisions);
  // Only the axes a consumer reads the channels through take α; a group's own rows and
  // per-channel parameters are gathered like any slice.
  const isConsumerAxis = (tensor: TensorProto, axis: number) => analysis.consumers.some((c) => c.weight === tensor && c.axis === axis);
  for (const [tensor, axes] of analysis.slices.axes) {
    const folded = [...axes].filter(([axis, segments]) => isConsumerAxis(tensor, axis) && segments.some((s) => foldableAlpha(analysis, s, decisions)));
    if (folded.length > 0 && tensor.dataType === FLOAT) await foldTensor(analysis, tensor, axes, folded, decisions, kept);
    else sliceTensor(analysis, tensor, axes, kept);
  }
  for (const [consumer, addition] of additions) addBias(model, analysis, consumer, addition, kept);
  for (const fix of analysis.countFixes) applyCountFix(analysis, fix, kept);
  const changed = (name: string) => (analysis.layouts.get(name)?.segments ?? []).some((g) => kept.has(analysis.groups.find(g)));
  const graph = model.graph!;
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !changed(v.name ?? ""));
}
