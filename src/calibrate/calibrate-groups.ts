// --compensate data: each group in graph order is chosen and fitted on its activations,
// captured where its consumers read them in the model as thinned so far (or, with
// --calibrate-once, in the wide model for all groups in one pass). Statistics are streamed
// into a C×C Gram per group in C++, so memory does not grow with the calibration set.
import { onnx } from "../onnx/proto.js";
import { allTensors, decodeModel, type LoadedModel } from "../onnx/read.js";
import { isExternal } from "../onnx/tensor.js";
import { encodeModel } from "../onnx/write.js";
import { GraphIndex } from "../graph/graph-index.js";
import { analyzeChannels, type ChannelAnalysis, type ConsumerRecord } from "../graph/analyze.js";
import type { GroupId } from "../graph/channel-groups.js";
import { applyPlan, foldBlocker } from "../apply/apply-plan.js";
import type { Decisions } from "../apply/decisions.js";
import { groupMatrix } from "../select/group-matrix.js";
import { selectionOrder, type GroupChoice, type SelectionProgress } from "../select/select-groups.js";
import type { Selector } from "../select/selectors.js";
import type { CheckedOptions, ThinOptions } from "../options.js";
import { native } from "../native.js";
import { sompFromGram } from "../somp.js";
import { ThinError } from "../errors.js";
import { readInputs } from "./npy.js";
import { runInBatches } from "./runtime.js";
import { covariance, fitCoefficients } from "./fit.js";

/** Sampled positions per sample and channel map: bounds the cost on large feature maps. */
const POSITIONS_PER_SAMPLE = 32;
const BATCH = 64;

interface Statistics {
  gram: Float64Array;
  sums: Float64Array;
  count: number;
}

/** Bytes ONNX Runtime can load: external tensors inlined for the copy, the model left as it was. */
function runtimeBytes(loaded: LoadedModel, model = loaded.model): Uint8Array {
  const external = allTensors(model).filter(isExternal);
  const saved = external.map((t) => ({ t, rawData: t.rawData, location: t.dataLocation, entries: t.externalData }));
  const bytes = encodeModel(model, loaded.external).model;
  for (const s of saved) Object.assign(s.t, { rawData: s.rawData, dataLocation: s.location, externalData: s.entries });
  return bytes;
}

/** Consumers of a group: the values to capture and where the group's channels sit in them. */
function captures(analysis: ChannelAnalysis, group: GroupId, decisions: Decisions): Array<{ consumer: ConsumerRecord; offset: number }> {
  const { groups } = analysis;
  const seen = new Set<string>();
  const out: Array<{ consumer: ConsumerRecord; offset: number }> = [];
  for (const consumer of analysis.consumers) {
    const at = consumer.segments.findIndex((g) => groups.find(g) === group);
    if (at < 0 || seen.has(consumer.input)) continue;
    seen.add(consumer.input);
    // Offsets are in the model as it runs now: groups already decided are narrower.
    const offset = consumer.segments.slice(0, at).reduce((s, g) => s + (decisions.get(groups.find(g))?.kept.length ?? groups.size(g)), 0) * consumer.block;
    out.push({ consumer, offset });
  }
  return out;
}

/** Runs the model once and streams each group's captured activations into its statistics. */
async function gatherStatistics(
  model: Uint8Array, analysis: ChannelAnalysis, wanted: GroupId[], decisions: Decisions, inputs: { data: Float32Array; shape: number[] },
): Promise<Map<GroupId, Statistics>> {
  const decoded = decodeModel(model, "calibration model");
  const plans = wanted.map((group) => ({ group, captures: captures(analysis, group, decisions) }));
  const names = [...new Set(plans.flatMap((p) => p.captures.map((c) => c.consumer.input)))];
  const graph = decoded.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const name of names) if (!existing.has(name)) graph.output!.push({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
  const stats = new Map(wanted.map((g) => {
    const c = analysis.groups.size(g);
    return [g, { gram: new Float64Array(c * c), sums: new Float64Array(c), count: 0 }];
  }));
  await runInBatches(onnx.ModelProto.encode(decoded).finish(), inputs, names, BATCH, async (outputs) => {
    for (const { group, captures: list } of plans)
      for (const { consumer, offset } of list) {
        const tensor = outputs[consumer.input];
        const dims = tensor.dims;
        // Conv reads channels on axis 1; Gemm and MatMul on the last axis.
        const axis = consumer.node.opType === "Conv" ? 1 : dims.length - 1;
        const view = {
          outer: dims.slice(0, axis).reduce((a, b) => a * b, 1),
          axisLength: dims[axis],
          inner: dims.slice(axis + 1).reduce((a, b) => a * b, 1),
          offset,
          channels: analysis.groups.size(group),
          block: consumer.block,
        };
        const s = stats.get(group)!;
        s.count += await native.accumulateGram(s.gram, s.sums, tensor.data as Float32Array, view, POSITIONS_PER_SAMPLE);
      }
  });
  return stats;
}

/** The model with the decisions so far applied, as bytes for ONNX Runtime. */
async function thinnedSoFar(loaded: LoadedModel, original: Uint8Array, decisions: Decisions): Promise<Uint8Array> {
  const model = decodeModel(original, loaded.source);
  const analysis = analyzeChannels(new GraphIndex(model.graph!, loaded.source), loaded.external);
  await applyPlan(model, analysis, decisions);
  return onnx.ModelProto.encode(model).finish();
}

export async function calibrateGroups(
  loaded: LoadedModel, analysis: ChannelAnalysis, widths: Map<GroupId, number>, selector: Selector, checked: CheckedOptions,
  options: ThinOptions, onProgress: (progress: SelectionProgress) => void,
): Promise<{ choices: Map<GroupId, GroupChoice>; decisions: Decisions }> {
  const calibration = typeof options.calibration === "string" ? readInputs(options.calibration) : options.calibration!;
  if (calibration.shape[0] < 1) throw new ThinError("the calibration set is empty");
  const original = runtimeBytes(loaded);
  const order = selectionOrder(analysis, [...widths.keys()]);
  const decisions: Decisions = new Map();
  const choices = new Map<GroupId, GroupChoice>();
  const capturable = order.filter((g) => captures(analysis, g, decisions).length > 0);
  const once = options.calibrateOnce ? await gatherStatistics(original, analysis, capturable, decisions, calibration) : undefined;
  for (const [done, group] of order.entries()) {
    const width = widths.get(group)!;
    const n = analysis.groups.size(group);
    const stats = capturable.includes(group)
      ? once?.get(group) ?? (await gatherStatistics(await thinnedSoFar(loaded, original, decisions), analysis, [group], decisions, calibration)).get(group)!
      : undefined;
    const fitted = stats && stats.count > 1 ? covariance(stats.gram, stats.sums, stats.count) : undefined;
    let choice: GroupChoice;
    if (fitted && checked.method === "somp") {
      // Selection by features: SOMP on the activation covariance.
      const result = await sompFromGram(fitted.cov, n, width, { p: checked.p });
      choice = { group, order: Array.from(result.indices), energy: Array.from(result.energy), rankDeficient: result.rankDeficient, kept: Int32Array.from(result.indices).sort() };
    } else {
      const kept = new Map([...decisions].map(([g, d]) => [g, d.kept]));
      const selection = await selector.select(groupMatrix(analysis, group, kept), width);
      choice = { group, ...selection, kept: Int32Array.from(selection.order).sort() };
    }
    choices.set(group, choice);
    const foldable = fitted && foldBlocker(analysis, group) === undefined;
    decisions.set(group, foldable ? { kept: choice.kept, ...fitCoefficients(fitted.cov, fitted.mean, choice.kept) } : { kept: choice.kept });
    onProgress({ group, done: done + 1, total: order.length, width, channels: n });
  }
  return { choices, decisions };
}
