// Human-readable text for the report and for inspect.
import type { InspectResult } from "../inspect.js";
import type { Plan, ThinReport } from "../thin.js";
import type { VerifyReport } from "../verify.js";
import type { BatchResult } from "../batch/job.js";

const count = (n: number) => n.toLocaleString("en-US");
const macs = (n: number | null) => (n === null ? "?" : n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n));

export function formatReport(plan: Plan, report: ThinReport, output: string): string {
  const lines = plan.groups.map((g) => {
    const name = g.producers.length > 1 ? `${g.producers[0]} (+${g.producers.length - 1} coupled)` : g.producers[0];
    const energy = g.energy === null ? "" : `  energy ${(100 * g.energy).toFixed(1)}%`;
    const note = g.frozen
      ? `  kept whole: ${g.frozen}`
      : [g.rankDeficient ? "  (rank below width: filled by row norm)" : "", g.compensationNote ? `  not folded: ${g.compensationNote}` : ""].join("");
    return `  ${name}: ${g.from} → ${g.to}${energy}${note}`;
  });
  const ratio = (100 * report.parameters.after) / report.parameters.before;
  return [
    `${report.source} → ${output} (${plan.method}${plan.method === "somp" ? `, p = ${plan.p}` : ""}, keep ${plan.keep}, compensate ${plan.compensate})`,
    ...lines,
    `parameters ${count(report.parameters.before)} → ${count(report.parameters.after)} (${ratio.toFixed(1)}%); ` +
      `${report.groups.thinned} layers thinned, ${report.groups.frozen} kept whole; ${report.seconds.toFixed(2)} s`,
  ].join("\n");
}

export function formatInspect(result: InspectResult): string {
  const groups = result.groups.map((g) => `  [${g.id}] ${g.producers.join(", ")}: ${g.channels} channels${g.frozen ? `, kept whole: ${g.frozen}` : ", thinnable"}`);
  const layers = result.layers.map((l) => `  ${l.node} (${l.op}, ${l.weight}): ${count(l.parameters)} parameters, ${macs(l.macs)} MACs`);
  return [
    `${result.source}: ${count(result.parameters)} parameters, ${macs(result.macs)} MACs per sample`,
    "channel groups:",
    ...groups,
    "layers:",
    ...layers,
  ].join("\n");
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatVerify(v: VerifyReport): string {
  const accuracy = v.accuracy ? `; accuracy ${percent(v.accuracy.original)} wide → ${percent(v.accuracy.thinned)} thin` : "";
  return `verify on ${v.samples} ${v.randomInputs ? "random inputs" : "inputs"}: output cosine ${v.cosine.toFixed(4)}, relative error ${v.relativeError.toFixed(4)}, top-1 agreement ${percent(v.top1Agreement)}${accuracy}`;
}

export function formatBatchLine(r: BatchResult, done: number, total: number): string {
  const what = r.ok ? `${count(r.parameters!.before)} → ${count(r.parameters!.after)} parameters` : `failed: ${r.error}`;
  return `[${done}/${total}] ${r.input}: ${what} (${r.seconds.toFixed(2)} s)`;
}

export function formatBatchSummary(results: BatchResult[]): string {
  const width = Math.max(5, ...results.map((r) => r.input.length));
  const rows = results.map((r) =>
    r.ok
      ? `${r.input.padEnd(width)}  ok      ${count(r.parameters!.before).padStart(13)} → ${count(r.parameters!.after).padStart(13)}  ${r.layers!.thinned} thinned, ${r.layers!.frozen} whole`
      : `${r.input.padEnd(width)}  FAILED  ${r.error}`,
  );
  const failed = results.filter((r) => !r.ok).length;
  return [`${"model".padEnd(width)}  status  parameters`, ...rows, `${results.length - failed} thinned, ${failed} failed`].join("\n");
}
