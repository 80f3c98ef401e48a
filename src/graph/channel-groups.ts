// Channel groups: sets of channel axes that must be thinned identically (DESIGN.md §3).
// A union-find over groups; each root holds the group's producers and, once frozen, why.
import type { NodeProto, TensorProto } from "../onnx/proto.js";

export type GroupId = number;

/** A node whose weight rows define the group's channels (Conv, Gemm, MatMul). */
export interface ProducerRecord {
  node: NodeProto;
  weight: TensorProto;
  /** The weight axis that runs over the output channels. */
  rowAxis: number;
  /** A BatchNormalization reading only this producer: rows are selected BN-folded. */
  batchNorm?: { scale: TensorProto; variance: TensorProto; epsilon: number };
}

export class ChannelGroups {
  private parent: GroupId[] = [];
  private sizes: number[] = [];
  private producerLists: ProducerRecord[][] = [];
  private reasons: (string | undefined)[] = [];
  private unfoldable: (string | undefined)[] = [];
  /** Order of creation of each group's first producer: the graph's topological order. */
  private positions: number[] = [];

  create(size: number, position: number): GroupId {
    const id = this.parent.length;
    this.parent.push(id);
    this.sizes.push(size);
    this.producerLists.push([]);
    this.reasons.push(undefined);
    this.unfoldable.push(undefined);
    this.positions.push(position);
    return id;
  }

  find(group: GroupId): GroupId {
    let root = group;
    while (this.parent[root] !== root) root = this.parent[root];
    while (this.parent[group] !== root) [group, this.parent[group]] = [this.parent[group], root];
    return root;
  }

  size(group: GroupId): number {
    return this.sizes[this.find(group)];
  }

  producers(group: GroupId): ProducerRecord[] {
    return this.producerLists[this.find(group)];
  }

  addProducer(group: GroupId, producer: ProducerRecord): void {
    this.producerLists[this.find(group)].push(producer);
  }

  frozenReason(group: GroupId): string | undefined {
    return this.reasons[this.find(group)];
  }

  /** Keeps the group at full width. The first reason given is the one reported. */
  freeze(group: GroupId, reason: string): void {
    const root = this.find(group);
    this.reasons[root] ??= reason;
  }

  /**
   * Records that the group's channels meet something that is not linear in them (a
   * depthwise conv, a product of two activations): dropped channels cannot be folded
   * into the consumers, so compensation falls back to plain slicing.
   */
  markUnfoldable(group: GroupId, reason: string): void {
    this.unfoldable[this.find(group)] ??= reason;
  }

  unfoldableReason(group: GroupId): string | undefined {
    return this.unfoldable[this.find(group)];
  }

  /** Couples two groups; groups of different sizes cannot share a selection and freeze. */
  union(a: GroupId, b: GroupId, why: string): void {
    let ra = this.find(a), rb = this.find(b);
    if (ra === rb) return;
    if (this.sizes[ra] !== this.sizes[rb]) {
      const reason = `${why} couples ${this.sizes[ra]} with ${this.sizes[rb]} channels`;
      this.freeze(ra, reason);
      this.freeze(rb, reason);
      return;
    }
    if (this.positions[rb] < this.positions[ra]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.producerLists[ra].push(...this.producerLists[rb]);
    this.reasons[ra] ??= this.reasons[rb];
    this.unfoldable[ra] ??= this.unfoldable[rb];
  }

  position(group: GroupId): number {
    return this.positions[this.find(group)];
  }

  roots(): GroupId[] {
    return this.parent.map((_, g) => g).filter((g) => this.parent[g] === g);
  }
}
