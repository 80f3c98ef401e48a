// A light index over a decoded ONNX graph: nodes in topological order, who produces and who
// consumes each value, and the constant tensor behind a value (an initializer, a Constant
// node, or either reached through Identity nodes, which PyTorch uses to share weights).
import { nodeLabel, type GraphProto, type NodeProto, type TensorProto } from "../onnx/proto.js";
import { ThinError } from "../errors.js";

export interface ValueUse {
  node: NodeProto;
  inputIndex: number;
}

export class GraphIndex {
  readonly nodes: NodeProto[];
  readonly initializers = new Map<string, TensorProto>();
  readonly producerOf = new Map<string, NodeProto>();
  readonly consumersOf = new Map<string, ValueUse[]>();
  readonly graphInputs = new Set<string>();
  readonly graphOutputs = new Set<string>();
  /** Rank of graph inputs, outputs and value_info entries that declare a shape. */
  readonly declaredRank = new Map<string, number>();

  constructor(graph: GraphProto, source: string) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? "", t);
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      const dims = v.type?.tensorType?.shape?.dim;
      if (dims) this.declaredRank.set(v.name ?? "", dims.length);
    }
    for (const v of graph.input ?? []) if (!this.initializers.has(v.name ?? "")) this.graphInputs.add(v.name ?? "");
    for (const v of graph.output ?? []) this.graphOutputs.add(v.name ?? "");
    const nodes = graph.node ?? [];
    for (const node of nodes)
      for (const output of node.output ?? []) {
        if (!output) continue;
        if (this.producerOf.has(output)) throw new ThinError(`${source}: value "${output}" is produced twice (by ${nodeLabel(this.producerOf.get(output)!)} and ${nodeLabel(node)})`);
        this.producerOf.set(output, node);
      }
    for (const node of nodes)
      (node.input ?? []).forEach((input, inputIndex) => {
        if (!input) return;
        if (!this.producerOf.has(input) && !this.initializers.has(input) && !this.graphInputs.has(input))
          throw new ThinError(`${source}: ${nodeLabel(node)} reads "${input}", which no node, initializer or graph input provides`);
        const uses = this.consumersOf.get(input) ?? [];
        uses.push({ node, inputIndex });
        this.consumersOf.set(input, uses);
      });
    for (const output of this.graphOutputs)
      if (!this.producerOf.has(output) && !this.initializers.has(output) && !this.graphInputs.has(output))
        throw new ThinError(`${source}: graph output "${output}" is not produced by any node`);
    this.nodes = this.topologicalOrder(nodes, source);
  }

  /** Kahn's algorithm, stable in file order; a leftover node means a cycle. */
  private topologicalOrder(nodes: NodeProto[], source: string): NodeProto[] {
    const waiting = new Map<NodeProto, number>();
    const ready: NodeProto[] = [];
    for (const node of nodes) {
      const pending = new Set((node.input ?? []).filter((i) => i && this.producerOf.has(i)));
      waiting.set(node, pending.size);
      if (pending.size === 0) ready.push(node);
    }
    const order: NodeProto[] = [];
    const dependents = new Map<string, NodeProto[]>();
    for (const node of nodes)
      for (const input of new Set(node.input ?? []))
        if (input && this.producerOf.has(input)) dependents.set(input, [...(dependents.get(input) ?? []), node]);
    for (let i = 0; i < ready.length; i++) {
      const node = ready[i];
      order.push(node);
      for (const output of node.output ?? [])
        for (const next of dependents.get(output) ?? []) {
          const left = waiting.get(next)! - 1;
          waiting.set(next, left);
          if (left === 0) ready.push(next);
        }
    }
    if (order.length !== nodes.length) {
      const stuck = nodes.find((n) => !order.includes(n))!;
      throw new ThinError(`${source}: the graph has a cycle through ${nodeLabel(stuck)}`);
    }
    return order;
  }

  /** The constant tensor a value holds, following Identity nodes; undefined if it varies. */
  constantTensor(name: string): TensorProto | undefined {
    for (let hops = 0; hops < 64 && name; hops++) {
      const initializer = this.initializers.get(name);
      if (initializer) return this.graphInputs.has(name) ? undefined : initializer;
      const node = this.producerOf.get(name);
      if (!node) return undefined;
      if (node.opType === "Constant") return node.attribute?.find((a) => a.name === "value")?.t ?? undefined;
      if (node.opType !== "Identity") return undefined;
      name = node.input?.[0] ?? "";
    }
    return undefined;
  }

  private tensorUses?: Map<TensorProto, ValueUse[]>;

  /** Every non-Identity node input that resolves to this tensor (indexed on first use). */
  usesOfTensor(tensor: TensorProto): ValueUse[] {
    if (!this.tensorUses) {
      this.tensorUses = new Map();
      for (const node of this.nodes) {
        if (node.opType === "Identity") continue;
        (node.input ?? []).forEach((input, inputIndex) => {
          const constant = input ? this.constantTensor(input) : undefined;
          if (constant) this.tensorUses!.set(constant, [...(this.tensorUses!.get(constant) ?? []), { node, inputIndex }]);
        });
      }
    }
    return this.tensorUses.get(tensor) ?? [];
  }

  /** Graph-declared rank of a value, if any. */
  rankOf(name: string): number | undefined {
    const tensor = this.constantTensor(name);
    if (tensor) return (tensor.dims ?? []).length;
    return this.declaredRank.get(name);
  }
}

