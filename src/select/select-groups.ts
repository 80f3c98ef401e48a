// Chooses every thinnable group's channels, in the graph's order, so each group's rows are
// column-adjusted by the final choice of every group that feeds it (the paper's
// layer-by-layer order). Residual streams can make groups feed each other; such cycles are
// broken by graph position, and the later group then sees its input at full width.
import type { ChannelAnalysis } from "../graph/analyze.js";
import type { GroupId } from "../graph/channel-groups.js";
import { groupMatrix, materialize, type KeptChannels } from "./group-matrix.js";
import type { Selection, Selector } from "./selectors.js";
import { leastSquaresCoefficients } from "../somp.js";

export interface GroupChoice extends Selection {
  group: GroupId;
  /** Kept channels, ascending. */
  kept: Int32Array;
  /** With weight compensation: α (n×k) with rows ≈ α·rows[kept] on the selection matrix. */
  alpha?: Float64Array;
}

export interface SelectionProgress {
  group: GroupId;
  done: number;
  total: number;
  width: number;
  channels: number;
}

/** Thinnable groups in an order where a group's inputs come first where possible. */
export function selectionOrder(analysis: ChannelAnalysis, groups: GroupId[]): GroupId[] {
  const { groups: all } = analysis;
  const pending = new Set(groups);
  const feeders = new Map<GroupId, Set<GroupId>>();
  for (const g of groups) {
    const inputs = new Set<GroupId>();
    for (const producer of all.producers(g))
      for (const input of analysis.inputsOfProducer.get(producer.node) ?? []) {
        const root = all.find(input);
        if (root !== g && pending.has(root)) inputs.add(root);
      }
    feeders.set(g, inputs);
  }
  const order: GroupId[] = [];
  while (pending.size > 0) {
    const candidates = [...pending].sort((a, b) => all.position(a) - all.position(b));
    const ready = candidates.find((g) => [...feeders.get(g)!].every((f) => !pending.has(f))) ?? candidates[0];
    order.push(ready);
    pending.delete(ready);
  }
  return order;
}

/** Rearranges α's columns from selection order to the order of `ascending`, in place
 *  (row by row: α can be n×k = 4096×2048 doubles, and a second copy would be 64 MiB). */
function columnsInOrder(alpha: Float64Array, n: number, order: number[], ascending: Int32Array): Float64Array {
  const k = order.length;
  const column = new Map(order.map((row, t) => [row, t]));
  const source = Int32Array.from(ascending, (row) => column.get(row)!);
  const row = new Float64Array(k);
  for (let j = 0; j < n; j++) {
    const at = j * k;
    for (let i = 0; i < k; i++) row[i] = alpha[at + source[i]];
    alpha.set(row, at);
  }
  return alpha;
}

export async function selectGroups(
  analysis: ChannelAnalysis,
  widths: Map<GroupId, number>,
  selector: Selector,
  onProgress?: (progress: SelectionProgress) => void,
  /** Groups whose dropped channels will be folded by weights: α is computed for them. */
  foldByWeights: (group: GroupId) => boolean = () => false,
): Promise<Map<GroupId, GroupChoice>> {
  const kept: KeptChannels = new Map();
  const choices = new Map<GroupId, GroupChoice>();
  const order = selectionOrder(analysis, [...widths.keys()]);
  for (const [done, group] of order.entries()) {
    const width = widths.get(group)!;
    const matrix = groupMatrix(analysis, group, kept);
    const n = matrix.n;
    const fold = foldByWeights(group);
    const selection = await selector.select(matrix, width, { coefficients: fold });
    const ascending = Int32Array.from(selection.order).sort();
    kept.set(group, ascending);
    let alpha: Float64Array | undefined;
    if (fold) {
      // SOMP's own factor gives α for free; other methods solve for it. Both take the basis
      // in a pivoted order (SOMP's, or the solver's own, see lstsq.cc): beyond the rank many
      // α are exact, and an unpivoted basis made the MNIST CNN's coefficients reach 33.
      if (selection.alpha) alpha = columnsInOrder(selection.alpha, n, selection.order, ascending);
      else {
        const dense = materialize(matrix);
        alpha = await leastSquaresCoefficients(dense.data, n, dense.m, ascending);
      }
    }
    choices.set(group, { ...selection, group, kept: ascending, alpha });
    onProgress?.({ group, done: done + 1, total: order.length, width, channels: n });
  }
  return choices;
}
