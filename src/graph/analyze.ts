// Walks the graph in topological order and, through the op table, works out the channel
// groups: who produces them, what couples them, which tensors they slice, and which groups
// must stay at full width and why.
import { nodeLabel, type NodeProto, type TensorProto } from "../onnx/proto.js";
import type { ExternalBytes } from "../onnx/tensor.js";
import { foldIntegers } from "./fold-integers.js";
import { ChannelGroups, type GroupId, type ProducerRecord } from "./channel-groups.js";
import { SliceRegistry } from "./slice-registry.js";
import type { GraphIndex } from "./graph-index.js";
import { OP_TABLE } from "./op-table.js";

/** How a value's channels are laid out. */
export interface ChannelLayout {
  /** Whole groups end to end along the channel axis (more than one after a Concat). */
  segments: GroupId[];
  /** The channel axis counted from the end: −1 is the last axis, −3 is C in N×C×H×W. */
  axisFromEnd: number;
  /** The value's rank, when known. */
  rank?: number;
  /** Entries per channel along the axis: 1, or "infer" after flattening C×H×W (the
   *  consumer's weight size tells H·W). */
  block: number | "infer";
}

/** A node attribute or shape entry that counts channels and must follow the new widths. */
export type CountFix =
  | { kind: "attribute"; node: NodeProto; name: string; segments: GroupId[] }
  | { kind: "shape"; tensor: TensorProto; entry: number; segments: GroupId[]; block: number };

/**
 * A node that reads channels through a weight that is linear in them (Conv with group 1,
 * Gemm, MatMul): where dropped channels can be folded in.
 */
export interface ConsumerRecord {
  node: NodeProto;
  weight: TensorProto;
  /** The weight axis indexed by the input channels, and the one indexed by the outputs. */
  axis: number;
  outputAxis: number;
  /** The input's layout: groups end to end, `block` entries per channel. */
  segments: GroupId[];
  block: number;
  /** The value the node reads (captured for calibration). */
  input: string;
  /** Where a bias goes: a node input (Conv, Gemm), or after the node as an Add (MatMul). */
  biasInput: number | "add";
}

/**
 * A per-channel parameter that several nodes share (PyTorch deduplicates equal tensors,
 * such as zero biases, through Identity nodes): each reader gets its own copy, sliced with
 * its own channels, rather than coupling unrelated layers. Materialised when applied.
 */
export interface PrivateCopy {
  node: NodeProto;
  inputIndex: number;
  copy: TensorProto;
}

export interface ChannelAnalysis {
  index: GraphIndex;
  external: ExternalBytes;
  groups: ChannelGroups;
  slices: SliceRegistry;
  layouts: Map<string, ChannelLayout>;
  countFixes: CountFix[];
  consumers: ConsumerRecord[];
  privateCopies: PrivateCopy[];
  /** For each producer node: the groups its input carries (for the selection order). */
  inputsOfProducer: Map<NodeProto, GroupId[]>;
}

/** What an op handler sees of its node and may record. */
export class OpContext {
  constructor(readonly node: NodeProto, readonly position: number, private analysis: ChannelAnalysis) {}

  get groups(): ChannelGroups {
    return this.analysis.groups;
  }
  get slices(): SliceRegistry {
    return this.analysis.slices;
  }
  get label(): string {
    return nodeLabel(this.node);
  }

  input(i: number): string {
    return this.node.input?.[i] ?? "";
  }
  inputCount(): number {
    return (this.node.input ?? []).filter(Boolean).length;
  }
  layout(i: number): ChannelLayout | undefined {
    return this.analysis.layouts.get(this.input(i));
  }
  constant(i: number): TensorProto | undefined {
    const name = this.input(i);
    return name ? this.analysis.index.constantTensor(name) : undefined;
  }
  /** Integer values of input i: a constant, or a small shape computation that folds to one. */
  integers(i: number): number[] | undefined {
    return foldIntegers(this.analysis.index, this.analysis.external, this.input(i))?.values;
  }
  /** Rank of an input: from its layout, the graph's declarations, or a constant's dims. */
  rank(i: number): number | undefined {
    return this.layout(i)?.rank ?? this.analysis.index.rankOf(this.input(i));
  }
  setOutput(i: number, layout: ChannelLayout | undefined): void {
    const name = this.node.output?.[i];
    if (name && layout) this.analysis.layouts.set(name, layout);
  }

  /** Keeps every group in the layout at full width. */
  freezeLayout(layout: ChannelLayout | undefined, reason: string): void {
    for (const g of layout?.segments ?? []) this.groups.freeze(g, `${reason} (${this.label})`);
  }
  freezeInput(i: number, reason: string): void {
    this.freezeLayout(this.layout(i), reason);
  }
  freezeAllInputs(reason: string): void {
    (this.node.input ?? []).forEach((_, i) => this.freezeInput(i, reason));
  }

  /** A new group of `rows` channels whose rows are `weight`'s entries along rowAxis. */
  produce(weightInput: number, rowAxis: number, rows: number): GroupId {
    const weight = this.constant(weightInput)!;
    const group = this.groups.create(rows, this.position);
    const producer: ProducerRecord = { node: this.node, weight, rowAxis };
    this.groups.addProducer(group, producer);
    this.sliceConstant(weightInput, rowAxis, [group], 1);
    this.analysis.inputsOfProducer.set(this.node, this.layout(0)?.segments ?? []);
    return group;
  }

  /**
   * Registers `axis` of input `i`'s constant as indexed by `segments` (block entries each).
   * A weight shared with other nodes couples their groups (tied weights); a shared
   * "parameter" (bias, normalisation statistics, slopes) is copied for this node instead.
   */
  sliceConstant(i: number, axis: number, segments: GroupId[], block: number, role: "weight" | "parameter" = "weight"): void {
    this.slices.claim(this.node, i);
    let tensor = this.constant(i)!;
    if (role === "parameter" && this.analysis.index.usesOfTensor(tensor).length > 1) {
      const copy: TensorProto = { ...tensor, name: `${tensor.name}::${this.node.name || this.node.output?.[0]}` };
      this.analysis.external.alias(copy, tensor);
      this.analysis.privateCopies.push({ node: this.node, inputIndex: i, copy });
      tensor = copy;
    }
    this.slices.add(tensor, axis, segments, block);
  }

  /** The layout's block size against an axis of `length` entries, or undefined if it cannot fit. */
  blockFor(layout: ChannelLayout, length: number): number | undefined {
    const channels = layout.segments.reduce((s, g) => s + this.groups.size(g), 0);
    if (layout.block !== "infer") return channels * layout.block === length ? layout.block : undefined;
    return length % channels === 0 ? length / channels : undefined;
  }

  /**
   * A constant combined element-wise with a channel value: per-channel constants are sliced,
   * constants that broadcast over the channel axis are left alone. False if neither.
   */
  broadcastConstant(i: number, layout: ChannelLayout): boolean {
    const tensor = this.constant(i);
    if (!tensor) return false;
    const dims = (tensor.dims ?? []).map(Number);
    const axis = dims.length + layout.axisFromEnd;
    if (axis < 0 || dims[axis] === 1) return true;
    if (layout.block !== 1) return false;
    const channels = layout.segments.reduce((s, g) => s + this.groups.size(g), 0);
    if (dims[axis] !== channels) return false;
    this.sliceConstant(i, axis, layout.segments, 1, "parameter");
    return true;
  }

  /** Two channel values meet element-wise: their groups must be selected together. */
  couple(a: ChannelLayout, b: ChannelLayout, why: string): boolean {
    const sizes = (l: ChannelLayout) => l.segments.map((g) => this.groups.size(g)).join(",");
    if (a.axisFromEnd !== b.axisFromEnd || a.block !== b.block || sizes(a) !== sizes(b)) return false;
    a.segments.forEach((g, k) => this.groups.union(g, b.segments[k], `${why} (${this.label})`));
    return true;
  }

  /** How many node inputs read input i's constant tensor. */
  usesOfConstant(i: number): number {
    const tensor = this.constant(i);
    return tensor ? this.analysis.index.usesOfTensor(tensor).length : 0;
  }

  /**
   * A BatchNormalization right after a producer, as that value's only reader: the producer's
   * rows are then selected as BN folds them (w_j·γ_j/√(var_j + ε)).
   */
  attachBatchNorm(input: ChannelLayout, batchNorm: NonNullable<ProducerRecord["batchNorm"]>): void {
    const name = this.input(0);
    const producerNode = this.analysis.index.producerOf.get(name);
    if (input.segments.length !== 1 || !producerNode || (this.analysis.index.consumersOf.get(name) ?? []).length !== 1) return;
    const record = this.groups.producers(input.segments[0]).find((p) => p.node === producerNode);
    if (record) record.batchNorm = batchNorm;
  }

  addConsumer(record: Omit<ConsumerRecord, "node" | "input">): void {
    this.analysis.consumers.push({ ...record, node: this.node, input: this.input(0) });
  }

  /** See ChannelGroups.markUnfoldable. */
  markUnfoldable(layout: ChannelLayout, reason: string): void {
    for (const g of layout.segments) this.groups.markUnfoldable(g, `${reason} (${this.label})`);
  }

  addCountFix(fix: CountFix): void {
    this.analysis.countFixes.push(fix);
  }
}

export function analyzeChannels(index: GraphIndex, external: ExternalBytes): ChannelAnalysis {
  const groups = new ChannelGroups();
  const analysis: ChannelAnalysis = {
    index, external, groups, slices: new SliceRegistry(groups), layouts: new Map(), countFixes: [], consumers: [], privateCopies: [], inputsOfProducer: new Map(),
  };
  index.nodes.forEach((node, position) => {
    const context = new OpContext(node, position, analysis);
    const handler = OP_TABLE[node.opType ?? ""];
    if (handler) handler(context);
    else context.freezeAllInputs(`op ${node.opType} is not one onnx-thin knows how channels pass through`);
  });
  for (const output of index.graphOutputs) {
    for (const g of analysis.layouts.get(output)?.segments ?? []) groups.freeze(g, `reaches graph output "${output}"`);
  }
  freezeUnclaimedUses(analysis);
  return analysis;
}

/** A sliced tensor must not also feed a node that expects it at full size. */
function freezeUnclaimedUses(analysis: ChannelAnalysis): void {
  for (const tensor of analysis.slices.axes.keys())
    for (const use of analysis.index.usesOfTensor(tensor))
      if (!analysis.slices.isClaimed(use.node, use.inputIndex))
        for (const g of analysis.slices.groupsOf(tensor))
          analysis.groups.freeze(g, `tensor "${tensor.name}" is also read by ${nodeLabel(use.node)}, which needs it whole`);
}
