// The main job: read → index → channel groups → select → apply → encode.
import type { ModelProto } from "./onnx/proto.js";
import { elementCount } from "./onnx/tensor.js";
import { readModel, allTensors, type LoadedModel } from "./onnx/read.js";
import { encodeModel } from "./onnx/write.js";
import { GraphIndex } from "./graph/graph-index.js";
import { analyzeChannels, type ChannelAnalysis } from "./graph/analyze.js";
import type { GroupId } from "./graph/channel-groups.js";
import { createSelector } from "./select/selectors.js";
import { selectGroups, type GroupChoice, type SelectionProgress } from "./select/select-groups.js";
import { calibrateGroups } from "./calibrate/calibrate-groups.js";
import { applyPlan, foldBlocker } from "./apply/apply-plan.js";
import type { Decisions } from "./apply/decisions.js";
import { checkOptions, type CheckedOptions, type ThinOptions } from "./options.js";
import { ThinError } from "./errors.js";

export interface PlanGroup {
  id: number;
  /** Names of the nodes whose weight rows define the group's channels. */
  producers: string[];
  /** Names of the weight initializers whose rows were selected. */
  weights: string[];
  from: number;
  to: number;
  /** Kept channel indices, ascending. */
  kept: number[];
  /** Captured energy at the kept width (SOMP), 1 when nothing was dropped, else null. */
  energy: number | null;
  /** Why the group was kept at full width, or null. */
  frozen: string | null;
  /** How the dropped channels were folded into the next layers ("none": sliced only). */
  compensation: "none" | "weights" | "data";
  /** Why compensation fell back to slicing for this group, when it did. */
  compensationNote?: string;
  /** SOMP: the rows spanned fewer dimensions than the width asked for. */
  rankDeficient?: boolean;
}

export interface Plan {
  method: string;
  p: number;
  keep: number;
  compensate: "none" | "weights" | "data";
  groups: PlanGroup[];
}

export interface ThinReport {
  source: string;
  parameters: { before: number; after: number };
  groups: { thinned: number; frozen: number; total: number };
  seconds: number;
}

export interface ThinResult {
  model: Uint8Array;
  plan: Plan;
  report: ThinReport;
}

export function countParameters(model: ModelProto): number {
  return allTensors(model).reduce((s, t) => s + elementCount(t), 0);
}

/** The graph's channel groups, in graph order, with stable ids. */
export function describeGroups(analysis: ChannelAnalysis): GroupId[] {
  return analysis.groups.roots().sort((a, b) => analysis.groups.position(a) - analysis.groups.position(b));
}

const producerName = (analysis: ChannelAnalysis, g: GroupId) => {
  const p = analysis.groups.producers(g)[0];
  return p?.node.name || p?.weight.name || `group ${g}`;
};

function resolveWidths(analysis: ChannelAnalysis, options: CheckedOptions, roots: GroupId[]): Map<GroupId, number> {
  const { groups } = analysis;
  const widths = new Map<GroupId, number>();
  for (const g of roots) {
    if (groups.frozenReason(g) !== undefined) continue;
    widths.set(g, Math.max(1, Math.round(groups.size(g) * options.keep)));
  }
  for (const [name, width] of options.widths) {
    const g = roots.find((r) => groups.producers(r).some((p) => p.node.name === name || p.weight.name === name));
    if (g === undefined) {
      const known = roots.flatMap((r) => groups.producers(r).map((p) => p.node.name || p.weight.name)).slice(0, 8);
      throw new ThinError(`--width ${name}=${width}: no producer node or weight is named "${name}" (some names: ${known.join(", ")})`);
    }
    const reason = groups.frozenReason(g);
    if (reason !== undefined) throw new ThinError(`--width ${name}=${width}: this layer must stay at full width: ${reason}`);
    if (width > groups.size(g)) throw new ThinError(`--width ${name}=${width}: the layer has only ${groups.size(g)} channels`);
    widths.set(g, width);
  }
  for (const [g, width] of widths) {
    const rounded = Math.ceil(width / options.multipleOf) * options.multipleOf;
    widths.set(g, Math.min(groups.size(g), rounded));
  }
  return widths;
}

function planGroup(analysis: ChannelAnalysis, id: number, g: GroupId, choice: GroupChoice | undefined, decisions: Decisions, mode: CheckedOptions["compensate"]): PlanGroup {
  const { groups } = analysis;
  const size = groups.size(g);
  const kept = choice ? Array.from(choice.kept) : Array.from({ length: size }, (_, i) => i);
  const frozen = groups.frozenReason(g) ?? null;
  const energy = frozen ? null : choice?.energy ? choice.energy[choice.energy.length - 1] : kept.length === size ? 1 : null;
  return {
    id,
    producers: groups.producers(g).map((p) => p.node.name || p.node.output?.[0] || ""),
    weights: groups.producers(g).map((p) => p.weight.name ?? ""),
    from: size,
    to: kept.length,
    kept,
    energy,
    frozen,
    compensation: decisions.get(g)?.alpha ? mode : "none",
    ...(mode !== "none" && choice && !decisions.get(g)?.alpha ? { compensationNote: foldBlocker(analysis, g) ?? "" } : {}),
    ...(choice?.rankDeficient ? { rankDeficient: true } : {}),
  };
}

export interface ThinnedModel {
  loaded: LoadedModel;
  analysis: ChannelAnalysis;
  plan: Plan;
  report: ThinReport;
}

/** Thins a loaded model in place (its ModelProto is rewritten; the source bytes are not). */
export async function thinLoaded(loaded: LoadedModel, options: ThinOptions = {}): Promise<ThinnedModel> {
  const start = performance.now();
  const checked = checkOptions(options);
  const index = new GraphIndex(loaded.model.graph!, loaded.source);
  const analysis = analyzeChannels(index, loaded.external);
  const roots = describeGroups(analysis);
  const widths = resolveWidths(analysis, checked, roots);
  // A group kept whole needs no selection: its plan is simply every channel.
  for (const [g, width] of widths) if (width === analysis.groups.size(g)) widths.delete(g);
  const before = countParameters(loaded.model);
  const selector = createSelector(checked.method, { p: checked.p, seed: checked.seed });
  const progress = (event: SelectionProgress) =>
    options.onProgress?.({ done: event.done, total: event.total, name: producerName(analysis, event.group), channels: event.channels, width: event.width });
  let choices: Map<GroupId, GroupChoice>;
  let decisions: Decisions;
  if (checked.compensate === "data") {
    ({ choices, decisions } = await calibrateGroups(loaded, analysis, widths, selector, checked, options, progress));
  } else {
    const foldByWeights = (g: GroupId) => checked.compensate === "weights" && foldBlocker(analysis, g) === undefined;
    choices = await selectGroups(analysis, widths, selector, progress, foldByWeights);
    decisions = new Map([...choices].map(([g, c]) => [g, { kept: c.kept, alpha: c.alpha }]));
  }
  await applyPlan(loaded.model, analysis, decisions);
  const groups = roots.map((g, id) => planGroup(analysis, id, g, choices.get(g), decisions, checked.compensate));
  const plan: Plan = { method: checked.method, p: checked.p, keep: checked.keep, compensate: checked.compensate, groups };
  const report: ThinReport = {
    source: loaded.source,
    parameters: { before, after: countParameters(loaded.model) },
    groups: { thinned: groups.filter((g) => g.to < g.from).length, frozen: groups.filter((g) => g.frozen).length, total: groups.length },
    seconds: (performance.now() - start) / 1000,
  };
  return { loaded, analysis, plan, report };
}

/**
 * Thins an ONNX model (bytes or a file path): every layer that can be thinned safely keeps
 * `keep` of its channels, chosen by SOMP on its weights; the rest stay whole and the plan
 * says why. Returns the new model's bytes (weights inlined), the plan and a report.
 */
export async function thin(input: Uint8Array | string, options: ThinOptions = {}): Promise<ThinResult> {
  const loaded = readModel(input);
  try {
    const thinned = await thinLoaded(loaded, options);
    const encoded = encodeModel(loaded.model, loaded.external);
    return { model: encoded.model, plan: thinned.plan, report: thinned.report };
  } finally {
    loaded.external.close();
  }
}

