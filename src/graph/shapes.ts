// Static shapes for the ops whose cost inspect reports, from the graph inputs' declared
// shapes (symbolic dims, such as the batch, count as 1). An op not handled here leaves its
// outputs unknown, and so the cost of what follows: unknown, never guessed.
import { intAttribute, intsAttribute, toNumber } from "../onnx/proto.js";
import { tensorIntegers, type ExternalBytes } from "../onnx/tensor.js";
import type { GraphIndex } from "./graph-index.js";
import { ELEMENTWISE_UNARY } from "./op-table.js";
import type { GraphProto, NodeProto } from "../onnx/proto.js";

export type Shape = number[];

const SAME_SHAPE = new Set([...ELEMENTWISE_UNARY, "BatchNormalization", "InstanceNormalization", "Clip", "Softmax", "LogSoftmax"]);

function broadcast(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1, y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

function window(node: NodeProto, input: Shape, kernel: number[], outChannels: number): Shape {
  const spatial = input.length - 2;
  const strides = intsAttribute(node, "strides") ?? Array(spatial).fill(1);
  const dilations = intsAttribute(node, "dilations") ?? Array(spatial).fill(1);
  const pads = intsAttribute(node, "pads") ?? Array(2 * spatial).fill(0);
  const autoPad = node.attribute?.find((a) => a.name === "auto_pad")?.s;
  const same = autoPad && new TextDecoder().decode(autoPad).startsWith("SAME");
  const ceil = intAttribute(node, "ceil_mode", 0) === 1;
  const out = [input[0], outChannels];
  for (let i = 0; i < spatial; i++) {
    if (same) {
      out.push(Math.ceil(input[2 + i] / strides[i]));
      continue;
    }
    const span = input[2 + i] + pads[i] + pads[i + spatial] - dilations[i] * (kernel[i] - 1) - 1;
    out.push((ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1);
  }
  return out;
}

export function inferShapes(graph: GraphProto, index: GraphIndex, external: ExternalBytes): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const v of graph.input ?? []) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims) shapes.set(v.name ?? "", dims.map((d) => (d.dimValue ? toNumber(d.dimValue as never) : 1)));
  }
  for (const [name, t] of index.initializers) shapes.set(name, (t.dims ?? []).map((d) => toNumber(d as never)));
  const shapeOf = (name: string | undefined): Shape | undefined => {
    if (!name) return undefined;
    const known = shapes.get(name);
    if (known) return known;
    const constant = index.constantTensor(name);
    return constant ? (constant.dims ?? []).map((d) => toNumber(d as never)) : undefined;
  };
  for (const node of index.nodes) {
    const inputs = (node.input ?? []).map(shapeOf);
    const x = inputs[0];
    let out: Shape | undefined;
    const op = node.opType ?? "";
    if (op === "Conv" && x && inputs[1]) out = window(node, x, inputs[1].slice(2), inputs[1][0]);
    else if ((op === "MaxPool" || op === "AveragePool" || op === "LpPool") && x) out = window(node, x, intsAttribute(node, "kernel_shape") ?? [], x[1]);
    else if (op.startsWith("Global") && x) out = [x[0], x[1], ...x.slice(2).map(() => 1)];
    else if (op === "Gemm" && x && inputs[1]) out = [x[intAttribute(node, "transA", 0) ? 1 : 0], inputs[1][intAttribute(node, "transB", 0) ? 0 : 1]];
    else if (op === "MatMul" && x && inputs[1] && inputs[1].length === 2) out = [...x.slice(0, -1), inputs[1][1]];
    else if (op === "Flatten" && x) {
      let axis = intAttribute(node, "axis", 1);
      if (axis < 0) axis += x.length;
      out = [x.slice(0, axis).reduce((a, b) => a * b, 1), x.slice(axis).reduce((a, b) => a * b, 1)];
    } else if (op === "Reshape" && x && index.constantTensor(node.input?.[1] ?? "")) {
      const target = tensorIntegers(index.constantTensor(node.input![1])!, external).map((d, i) => (d === 0 ? x[i] : d));
      const known = target.filter((d) => d > 0).reduce((a, b) => a * b, 1);
      const total = x.reduce((a, b) => a * b, 1);
      out = target.map((d) => (d === -1 ? total / known : d));
    } else if (["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "PRelu"].includes(op)) {
      out = inputs.filter((s): s is Shape => !!s).reduce<Shape | undefined>((a, b) => (a ? broadcast(a, b) : undefined), []);
      if (inputs.some((s) => !s)) out = undefined;
    } else if (op === "Concat" && inputs.every((s) => s)) {
      let axis = intAttribute(node, "axis", 1);
      if (axis < 0) axis += x!.length;
      out = [...x!];
      out[axis] = inputs.reduce((s, shape) => s + shape![axis], 0);
    } else if (x && SAME_SHAPE.has(op)) {
      out = x;
    }
    if (out) shapes.set(node.output?.[0] ?? "", out);
  }
  return shapes;
}
