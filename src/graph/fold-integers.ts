// Evaluates the small integer subgraphs exporters build for shapes and pads (PyTorch's
// F.pad becomes ConstantOfShape → Concat → Reshape → Slice → Transpose → Cast), so ops
// that need such a value can read it. Anything outside these few ops is "not constant".
import { intAttribute, intsAttribute, toNumber, type NodeProto } from "../onnx/proto.js";
import { tensorIntegers, type ExternalBytes } from "../onnx/tensor.js";
import type { GraphIndex } from "./graph-index.js";

export interface IntegerTensor {
  values: number[];
  dims: number[];
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function slice(x: IntegerTensor, starts: number[], ends: number[], axes: number[], steps: number[]): IntegerTensor | undefined {
  if (x.dims.length > 2) return undefined;
  const ranges = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a, k) => {
    const axis = a < 0 ? a + x.dims.length : a, d = x.dims[axis], step = steps[k] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const picked: number[] = [];
    if (step > 0) for (let i = clamp(starts[k], 0, d); i < clamp(ends[k], 0, d); i += step) picked.push(i);
    else for (let i = clamp(starts[k], -1, d - 1); i > clamp(ends[k], -1, d - 1); i += step) picked.push(i);
    ranges[axis] = picked;
  });
  const dims = ranges.map((r) => r.length);
  const values: number[] = [];
  if (dims.length === 1) for (const i of ranges[0]) values.push(x.values[i]);
  else for (const i of ranges[0]) for (const j of ranges[1]) values.push(x.values[i * x.dims[1] + j]);
  return { values, dims };
}

function evaluate(node: NodeProto, inputs: (IntegerTensor | undefined)[]): IntegerTensor | undefined {
  const [x] = inputs;
  switch (node.opType) {
    case "Identity": case "Cast": return x;
    case "Reshape": {
      if (!x || !inputs[1]) return undefined;
      const shape = inputs[1].values.map((d, i) => (d === 0 ? x.dims[i] : d));
      const known = size(shape.filter((d) => d > 0));
      return { values: x.values, dims: shape.map((d) => (d === -1 ? size(x.dims) / known : d)) };
    }
    case "Unsqueeze": case "Squeeze": case "Flatten":
      return x && { values: x.values, dims: [size(x.dims)] };
    case "Concat": {
      if (inputs.some((t) => !t || t.dims.length !== 1)) return undefined;
      const values = inputs.flatMap((t) => t!.values);
      return { values, dims: [values.length] };
    }
    case "ConstantOfShape": {
      if (!x) return undefined;
      return { values: Array(size(x.values)).fill(0), dims: x.values };
    }
    case "Transpose": {
      if (!x || x.dims.length !== 2) return x && x.dims.length < 2 ? x : undefined;
      const perm = intsAttribute(node, "perm") ?? [1, 0];
      if (perm[0] === 0) return x;
      const [r, c] = x.dims;
      const values: number[] = [];
      for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) values.push(x.values[i * c + j]);
      return { values, dims: [c, r] };
    }
    case "Slice": {
      if (!x || !inputs[1] || !inputs[2]) return undefined;
      const axes = inputs[3]?.values ?? inputs[1].values.map((_, i) => i);
      return slice(x, inputs[1].values, inputs[2].values, axes, inputs[4]?.values ?? []);
    }
    case "Gather": {
      if (!x || !inputs[1] || x.dims.length !== 1 || intAttribute(node, "axis", 0) !== 0) return undefined;
      const values = inputs[1].values.map((i) => x.values[i < 0 ? i + x.dims[0] : i]);
      return { values, dims: inputs[1].dims };
    }
    default: return undefined;
  }
}

/** The integer value of a graph value, when it is a constant or folds to one. */
export function foldIntegers(index: GraphIndex, external: ExternalBytes, name: string, depth = 0): IntegerTensor | undefined {
  if (!name || depth > 32) return undefined;
  const tensor = index.constantTensor(name);
  if (tensor) {
    try {
      return { values: tensorIntegers(tensor, external), dims: (tensor.dims ?? []).map((d) => toNumber(d as never)) };
    } catch {
      return undefined;
    }
  }
  const node = index.producerOf.get(name);
  if (!node || (node.input ?? []).length > 5) return undefined;
  const inputs = (node.input ?? []).map((input) => (input ? foldIntegers(index, external, input, depth + 1) : undefined));
  return evaluate(node, inputs);
}
