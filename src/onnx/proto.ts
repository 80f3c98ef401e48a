// The ONNX protobuf classes (onnx-proto's static protobufjs code), and helpers for the
// fields protobufjs hands back as Long.
import { createRequire } from "node:module";
import type { onnx as OnnxNamespace } from "onnx-proto";

const require = createRequire(import.meta.url);
export const onnx: typeof OnnxNamespace = (require("onnx-proto") as { onnx: typeof OnnxNamespace }).onnx;

export type ModelProto = OnnxNamespace.ModelProto;
export type GraphProto = OnnxNamespace.IGraphProto;
export type NodeProto = OnnxNamespace.INodeProto;
export type TensorProto = OnnxNamespace.ITensorProto;
export type AttributeProto = OnnxNamespace.IAttributeProto;
export type ValueInfoProto = OnnxNamespace.IValueInfoProto;

type LongLike = number | { toNumber(): number } | null | undefined;

/** int64 fields arrive as Long objects; every size in a model fits in a double. */
export function toNumber(value: LongLike): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}

export function dimsOf(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toNumber(d as LongLike));
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toNumber(a.i as LongLike) : fallback;
}

export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map((v) => toNumber(v as LongLike)) : undefined;
}

export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && a.f !== undefined && a.f !== null ? a.f : fallback;
}

/** How a node is named in messages: its name, or its op type and first output. */
export function nodeLabel(node: NodeProto): string {
  return node.name ? `node "${node.name}"` : `${node.opType} node producing "${node.output?.[0] ?? "?"}"`;
}
