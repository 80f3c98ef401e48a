// The op table: for each ONNX op type, how channels flow through it (produce, pass,
// couple, concatenate, consume, or freeze) and which of its tensors are sliced on which
// axis. The walker in analyze.ts only asks this table; adding an op is adding an entry.
import { floatAttribute, intAttribute, intsAttribute } from "../onnx/proto.js";
import type { ChannelLayout, OpContext } from "./analyze.js";

type Handler = (ctx: OpContext) => void;

const channelCount = (ctx: OpContext, layout: ChannelLayout) => layout.segments.reduce((s, g) => s + ctx.groups.size(g), 0);
/** The layout's channel axis, counted from the front, when the rank is known. */
const channelAxis = (layout: ChannelLayout) => (layout.rank === undefined ? undefined : layout.rank + layout.axisFromEnd);
const isChannelsSecond = (layout: ChannelLayout) => layout.rank !== undefined && channelAxis(layout) === 1 && layout.block === 1;

/** Registers a weight axis as the consumer of a channel layout (the paper's column step). */
function consume(ctx: OpContext, layout: ChannelLayout, weightInput: number, axis: number, outputAxis: number, biasInput: number | "add", what: string): void {
  const length = Number(ctx.constant(weightInput)!.dims![axis]);
  const block = ctx.blockFor(layout, length);
  if (block === undefined || layout.axisFromEnd !== -1) {
    ctx.freezeLayout(layout, `${what} reads ${length} inputs that do not split into its ${channelCount(ctx, layout)} channels`);
    return;
  }
  ctx.sliceConstant(weightInput, axis, layout.segments, block);
  ctx.addConsumer({ weight: ctx.constant(weightInput)!, axis, outputAxis, segments: layout.segments, block, biasInput });
}

/** A bias of shape [N] or [1, N] follows the group; a broadcast scalar needs nothing. */
function sliceBias(ctx: OpContext, biasInput: number, group: number, what: string): void {
  if (!ctx.input(biasInput)) return;
  const bias = ctx.constant(biasInput);
  if (!bias) {
    ctx.groups.freeze(group, `${what} bias is not a constant (${ctx.label})`);
    return;
  }
  const dims = (bias.dims ?? []).map(Number);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size === 1) return;
  if (size === ctx.groups.size(group) && dims[dims.length - 1] === size) ctx.sliceConstant(biasInput, dims.length - 1, [group], 1, "parameter");
  else ctx.groups.freeze(group, `${what} bias of shape [${dims.join(", ")}] is not per channel (${ctx.label})`);
}

const conv: Handler = (ctx) => {
  const weight = ctx.constant(1);
  const input = ctx.layout(0);
  if (!weight) return ctx.freezeInput(0, "Conv weight is not a constant");
  const dims = (weight.dims ?? []).map(Number);
  const rank = dims.length;
  const groupCount = intAttribute(ctx.node, "group", 1);
  const inputFits = (l: ChannelLayout) => l.axisFromEnd === 1 - rank && l.block === 1;
  if (groupCount === 1) {
    if (input) {
      if (inputFits(input) && channelCount(ctx, input) === dims[1]) {
        ctx.sliceConstant(1, 1, input.segments, 1);
        ctx.addConsumer({ weight, axis: 1, outputAxis: 0, segments: input.segments, block: 1, biasInput: 2 });
      } else ctx.freezeLayout(input, "Conv input channels do not match its weight");
    }
    const group = ctx.produce(1, 0, dims[0]);
    sliceBias(ctx, 2, group, "Conv");
    ctx.setOutput(0, { segments: [group], axisFromEnd: 1 - rank, rank, block: 1 });
    return;
  }
  const depthwise = input && inputFits(input) && dims[1] === 1 && dims[0] === groupCount && channelCount(ctx, input) === groupCount;
  if (!depthwise) return ctx.freezeInput(0, `grouped convolution (group = ${groupCount}) mixes channels within groups`);
  // Depthwise: one filter per channel, so channels pass through with their filters and
  // bias, and the group attribute must count the kept channels.
  if (ctx.input(2) && !ctx.constant(2)) return ctx.freezeInput(0, "depthwise Conv bias is not a constant");
  ctx.sliceConstant(1, 0, input.segments, 1);
  if (ctx.input(2)) ctx.sliceConstant(2, 0, input.segments, 1, "parameter");
  ctx.markUnfoldable(input, "a depthwise conv reads these channels one by one");
  ctx.addCountFix({ kind: "attribute", node: ctx.node, name: "group", segments: input.segments });
  ctx.setOutput(0, input);
};

const gemm: Handler = (ctx) => {
  const weight = ctx.constant(1);
  const input = ctx.layout(0);
  if (!weight) return ctx.freezeInput(0, "Gemm weight is not a constant");
  if (intAttribute(ctx.node, "transA", 0)) return ctx.freezeInput(0, "Gemm with transA = 1");
  const dims = (weight.dims ?? []).map(Number);
  const rowAxis = intAttribute(ctx.node, "transB", 0) ? 0 : 1;
  if (input) consume(ctx, input, 1, 1 - rowAxis, rowAxis, 2, "Gemm");
  const group = ctx.produce(1, rowAxis, dims[rowAxis]);
  sliceBias(ctx, 2, group, "Gemm");
  ctx.setOutput(0, { segments: [group], axisFromEnd: -1, rank: 2, block: 1 });
};

const matMul: Handler = (ctx) => {
  const weight = ctx.constant(1);
  if (!weight || (weight.dims ?? []).length !== 2 || ctx.constant(0))
    return ctx.freezeAllInputs("MatMul of two activations (or of a weight on the left)");
  const input = ctx.layout(0);
  if (input) consume(ctx, input, 1, 0, 1, "add", "MatMul");
  const group = ctx.produce(1, 1, Number(weight.dims![1]));
  ctx.setOutput(0, { segments: [group], axisFromEnd: -1, rank: ctx.rank(0), block: 1 });
};

const passThrough: Handler = (ctx) => {
  for (let i = 0; i < (ctx.node.output ?? []).length; i++) ctx.setOutput(i, ctx.layout(0));
};

/** Ops that act on each element alone but only make sense channel-wise on N×C×… maps. */
const spatialPassThrough: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (input && !isChannelsSecond(input)) return ctx.freezeInput(0, `${ctx.node.opType} on a tensor whose channels are not axis 1`);
  passThrough(ctx);
};

const perChannelParameters = (parameterInputs: number[]): Handler => (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  if (!isChannelsSecond(input)) return ctx.freezeInput(0, `${ctx.node.opType} on a tensor whose channels are not axis 1`);
  if (parameterInputs.some((i) => !ctx.constant(i))) return ctx.freezeInput(0, `${ctx.node.opType} parameters are not constants`);
  for (const i of parameterInputs) ctx.sliceConstant(i, 0, input.segments, 1, "parameter");
  ctx.setOutput(0, input);
};

const batchNormalization: Handler = (ctx) => {
  const input = ctx.layout(0);
  perChannelParameters([1, 2, 3, 4])(ctx);
  if (!input || ctx.groups.frozenReason(input.segments[0]) !== undefined) return;
  // Training-mode exports also output the updated running mean and variance.
  for (const i of [1, 2]) ctx.setOutput(i, { segments: input.segments, axisFromEnd: -1, rank: 1, block: 1 });
  ctx.attachBatchNorm(input, { scale: ctx.constant(1)!, variance: ctx.constant(4)!, epsilon: floatAttribute(ctx.node, "epsilon", 1e-5) });
};

/** Element-wise ops: channel values couple, constants are sliced or broadcast. */
const elementwise: Handler = (ctx) => {
  const count = (ctx.node.input ?? []).length;
  const withLayout = [...Array(count).keys()].filter((i) => ctx.layout(i));
  if (withLayout.length === 0) return;
  const first = ctx.layout(withLayout[0])!;
  for (let i = 0; i < count; i++) {
    if (i === withLayout[0] || !ctx.input(i)) continue;
    const other = ctx.layout(i);
    const ok = other ? ctx.couple(first, other, `${ctx.node.opType} of two channel tensors`) : ctx.broadcastConstant(i, first);
    if (!ok) {
      const why = other ? "channel tensors that do not line up" : ctx.constant(i) ? "a constant that is neither per channel nor broadcast" : "a tensor whose channels onnx-thin cannot follow";
      return ctx.freezeAllInputs(`${ctx.node.opType} with ${why}`);
    }
  }
  // Sums stay linear in each operand; products and the like do not.
  const linear = ["Add", "Sub", "Sum", "Mean"].includes(ctx.node.opType ?? "");
  if (!linear && withLayout.length > 1) ctx.markUnfoldable(first, `${ctx.node.opType} of two activations`);
  ctx.setOutput(0, first);
};

const clip: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  for (const i of [1, 2]) {
    if (!ctx.input(i)) continue;
    if (!ctx.constant(i) || !ctx.broadcastConstant(i, input)) return ctx.freezeInput(0, "Clip with bounds that are not constants");
  }
  ctx.setOutput(0, input);
};

const pad: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  const pads = ctx.input(1) ? ctx.integers(1) : intsAttribute(ctx.node, "pads");
  const axis = channelAxis(input);
  if (!pads || axis === undefined || ctx.input(3)) return ctx.freezeInput(0, "Pad with pads onnx-thin cannot read");
  if (pads[axis] !== 0 || pads[axis + input.rank!] !== 0) return ctx.freezeInput(0, "Pad on the channel axis");
  ctx.setOutput(0, input);
};

const resize: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  const axis = channelAxis(input);
  const scalesInput = ctx.node.opType === "Upsample" ? 1 : 2;
  if (ctx.node.opType === "Resize" && ctx.input(3)) return ctx.freezeInput(0, "Resize to explicit sizes");
  const scales = ctx.input(scalesInput) ? ctx.integers(scalesInput) : intsAttribute(ctx.node, "scales");
  if (!scales || axis === undefined || scales[axis] !== 1) return ctx.freezeInput(0, "Resize that may scale the channel axis");
  ctx.setOutput(0, input);
};

/** N×C×H×W flattened from axis 1: each channel becomes a block of H·W columns. */
function flattenLike(ctx: OpContext, input: ChannelLayout): ChannelLayout | undefined {
  const axis = channelAxis(input);
  if (axis !== 1 || input.block !== 1) return undefined;
  return { segments: input.segments, axisFromEnd: -1, rank: 2, block: input.rank === 2 ? 1 : "infer" };
}

const flatten: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  let axis = intAttribute(ctx.node, "axis", 1);
  if (axis < 0 && input.rank !== undefined) axis += input.rank;
  const out = axis === 1 ? flattenLike(ctx, input) : undefined;
  if (!out) return ctx.freezeInput(0, "Flatten that does not start at the channel axis");
  ctx.setOutput(0, out);
};

const reshape: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  const shape = ctx.integers(1);
  const out = shape && shape.length === 2 && shape[1] !== 0 ? flattenLike(ctx, input) : undefined;
  if (!shape || !out) return ctx.freezeInput(0, "Reshape other than flattening N×C×… to N×(C·…)");
  if (shape[1] > 0) {
    // An explicit column count must follow the kept channels.
    const block = ctx.blockFor(out, shape[1]);
    if (block === undefined || !ctx.constant(1) || ctx.usesOfConstant(1) > 1) return ctx.freezeInput(0, "Reshape with a column count onnx-thin cannot rewrite");
    ctx.slices.claim(ctx.node, 1);
    ctx.addCountFix({ kind: "shape", tensor: ctx.constant(1)!, entry: 1, segments: input.segments, block });
    out.block = block;
  }
  ctx.setOutput(0, out);
};

const concat: Handler = (ctx) => {
  const count = (ctx.node.input ?? []).length;
  const layouts = [...Array(count).keys()].map((i) => ctx.layout(i));
  if (layouts.every((l) => !l)) return;
  const first = layouts.find((l) => l)!;
  let axis = intAttribute(ctx.node, "axis", 1);
  if (axis < 0 && first.rank !== undefined) axis += first.rank;
  const alike = layouts.every((l) => l && l.axisFromEnd === first.axisFromEnd && l.block === 1 && l.rank === first.rank);
  if (!alike || first.rank === undefined) return ctx.freezeAllInputs("Concat of channel tensors with other tensors");
  if (axis === channelAxis(first)) {
    ctx.setOutput(0, { ...first, segments: layouts.flatMap((l) => l!.segments) });
    return;
  }
  for (const l of layouts) if (!ctx.couple(first, l!, "Concat along another axis")) return ctx.freezeAllInputs("Concat of tensors whose channels differ");
  ctx.setOutput(0, first);
};

const softmax: Handler = (ctx) => {
  const input = ctx.layout(0);
  if (!input) return;
  let axis = intAttribute(ctx.node, "axis", -1);
  if (input.rank !== undefined && axis < 0) axis += input.rank;
  const channel = channelAxis(input);
  if (channel === undefined || axis <= channel) return ctx.freezeInput(0, `${ctx.node.opType} across channels`);
  ctx.setOutput(0, input);
};

/** Ops applied to each element on its own: channels, and shapes, pass straight through. */
export const ELEMENTWISE_UNARY = [
  "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish",
  "Mish", "Erf", "Gelu", "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin",
  "Cos", "ThresholdedRelu", "Identity", "Dropout", "Cast",
];

export const OP_TABLE: Record<string, Handler> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  BatchNormalization: batchNormalization,
  InstanceNormalization: perChannelParameters([1, 2]),
  PRelu: elementwise,
  Clip: clip,
  Add: elementwise, Sub: elementwise, Mul: elementwise, Div: elementwise, Pow: elementwise,
  Max: elementwise, Min: elementwise, Sum: elementwise, Mean: elementwise,
  MaxPool: spatialPassThrough, AveragePool: spatialPassThrough, LpPool: spatialPassThrough,
  GlobalAveragePool: spatialPassThrough, GlobalMaxPool: spatialPassThrough, GlobalLpPool: spatialPassThrough,
  Pad: pad,
  Resize: resize, Upsample: resize,
  Flatten: flatten,
  Reshape: reshape,
  Concat: concat,
  Softmax: softmax, LogSoftmax: softmax,
  Constant: () => {},
  ...Object.fromEntries(ELEMENTWISE_UNARY.map((op) => [op, passThrough])),
};
