// Which axis of which tensor is indexed by which groups' channels. A tensor axis may hold
// several groups end to end (the weights after a Concat), and each channel may own a block
// of consecutive entries (a Gemm after a Flatten of C×H×W maps: H·W columns per channel).
import type { NodeProto, TensorProto } from "../onnx/proto.js";
import type { ChannelGroups, GroupId } from "./channel-groups.js";

export interface AxisSegment {
  group: GroupId;
  /** First entry of the segment along the axis. */
  offset: number;
  channels: number;
  /** Entries per channel. */
  block: number;
}

export class SliceRegistry {
  readonly axes = new Map<TensorProto, Map<number, AxisSegment[]>>();
  /** Node inputs whose tensor is sliced with the node's channels in mind. */
  private claimed = new Map<NodeProto, Set<number>>();

  constructor(private groups: ChannelGroups) {}

  claim(node: NodeProto, inputIndex: number): void {
    const set = this.claimed.get(node) ?? new Set<number>();
    set.add(inputIndex);
    this.claimed.set(node, set);
  }

  isClaimed(node: NodeProto, inputIndex: number): boolean {
    return this.claimed.get(node)?.has(inputIndex) ?? false;
  }

  /**
   * Registers that `axis` of `tensor` runs over the channels of `segments` (in order), each
   * channel owning `block` entries. When the same axis is already registered (a weight shared
   * by two nodes), the two layouts must agree and their groups are coupled; otherwise every
   * group involved is frozen.
   */
  add(tensor: TensorProto, axis: number, segments: GroupId[], block: number): void {
    let offset = 0;
    const entries = segments.map((group) => {
      const channels = this.groups.size(group);
      const entry = { group, offset, channels, block };
      offset += channels * block;
      return entry;
    });
    // A malformed model could claim more or fewer channels than the tensor holds: never
    // gather out of range, keep the groups whole and say which tensor disagrees.
    const length = Number(tensor.dims?.[axis] ?? -1);
    if (length !== offset) {
      const reason = `tensor "${tensor.name}" has ${length} entries on axis ${axis} where its channels need ${offset}`;
      for (const e of entries) this.groups.freeze(e.group, reason);
      return;
    }
    const byAxis = this.axes.get(tensor) ?? new Map<number, AxisSegment[]>();
    this.axes.set(tensor, byAxis);
    const existing = byAxis.get(axis);
    if (!existing) {
      byAxis.set(axis, entries);
      return;
    }
    const same = existing.length === entries.length &&
      existing.every((e, i) => e.offset === entries[i].offset && e.channels === entries[i].channels && e.block === entries[i].block);
    if (same) {
      existing.forEach((e, i) => this.groups.union(e.group, entries[i].group, `shared tensor "${tensor.name}"`));
      return;
    }
    const reason = `tensor "${tensor.name}" is shared by nodes that index axis ${axis} differently`;
    for (const e of [...existing, ...entries]) this.groups.freeze(e.group, reason);
  }

  /** Groups whose channels index any axis of the tensor. */
  groupsOf(tensor: TensorProto): GroupId[] {
    return [...(this.axes.get(tensor)?.values() ?? [])].flat().map((s) => s.group);
  }
}
