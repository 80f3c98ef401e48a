// `onnx-thin inspect`: what thinning would see, without writing anything — the channel
// groups with their widths and frozen reasons, and parameters and MACs per layer.
import { elementCount } from "./onnx/tensor.js";
import { readModel } from "./onnx/read.js";
import { GraphIndex } from "./graph/graph-index.js";
import { analyzeChannels } from "./graph/analyze.js";
import { inferShapes } from "./graph/shapes.js";
import { countParameters, describeGroups } from "./thin.js";

export interface InspectGroup {
  id: number;
  producers: string[];
  weights: string[];
  channels: number;
  frozen: string | null;
}

export interface InspectLayer {
  node: string;
  op: string;
  weight: string;
  parameters: number;
  /** Multiply-accumulates for one sample, or null where a shape could not be inferred. */
  macs: number | null;
}

export interface InspectResult {
  source: string;
  parameters: number;
  /** Sum of the layers' MACs, or null if any layer's is unknown. */
  macs: number | null;
  groups: InspectGroup[];
  layers: InspectLayer[];
}

export function inspect(input: Uint8Array | string): InspectResult {
  const loaded = readModel(input);
  const index = new GraphIndex(loaded.model.graph!, loaded.source);
  const analysis = analyzeChannels(index, loaded.external);
  const shapes = inferShapes(loaded.model.graph!, index, loaded.external);
  const groups = describeGroups(analysis).map((g, id) => ({
    id,
    producers: analysis.groups.producers(g).map((p) => p.node.name || p.node.output?.[0] || ""),
    weights: analysis.groups.producers(g).map((p) => p.weight.name ?? ""),
    channels: analysis.groups.size(g),
    frozen: analysis.groups.frozenReason(g) ?? null,
  }));
  const layers: InspectLayer[] = [];
  for (const node of index.nodes) {
    if (!["Conv", "Gemm", "MatMul"].includes(node.opType ?? "")) continue;
    const weight = index.constantTensor(node.input?.[1] ?? "");
    if (!weight) continue;
    const bias = node.input?.[2] ? index.constantTensor(node.input[2]) : undefined;
    const out = shapes.get(node.output?.[0] ?? "");
    const weightCount = elementCount(weight);
    // Per output position each weight entry is one multiply-accumulate.
    let macs: number | null = null;
    if (out && node.opType === "Conv") macs = weightCount * out.slice(2).reduce((a, b) => a * b, 1);
    else if (out) macs = weightCount * out.slice(1, -1).reduce((a, b) => a * b, 1);
    layers.push({ node: node.name || node.output?.[0] || "", op: node.opType ?? "", weight: weight.name ?? "", parameters: weightCount + (bias ? elementCount(bias) : 0), macs });
  }
  const macs = layers.every((l) => l.macs !== null) ? layers.reduce((s, l) => s + l.macs!, 0) : null;
  return { source: loaded.source, parameters: countParameters(loaded.model), macs, groups, layers };
}

