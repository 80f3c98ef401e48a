// Thinning options: one place that checks them, with messages that name the option.
import { ThinError } from "./errors.js";
import { METHODS, type MethodName } from "./select/methods.js";

export interface ThinOptions {
  /** Fraction of each thinnable group's channels to keep, 0 < keep ≤ 1 (default 0.5). */
  keep?: number;
  /** Explicit widths by producer node name or weight initializer name. */
  widths?: Record<string, number>;
  /** Round every width up to a multiple of this (capped at the group's size). */
  multipleOf?: number;
  method?: MethodName;
  /** SOMP's p: 2 (the paper, default) or 1 (Tropp). */
  p?: 1 | 2;
  /** Seed for method "random". */
  seed?: number;
  /**
   * Fold the dropped channels into the layers that read them: "weights" (default; SOMP's
   * least-squares coefficients, no data), "data" (fit on calibration activations; the
   * default when `calibration` is given) or "none" (the paper: slice only).
   */
  compensate?: CompensateMode;
  /** Calibration inputs: a float32 .npy file (batch first), a folder of them, or an array. */
  calibration?: string | { data: Float32Array; shape: number[] };
  /** Capture every group's activations on the wide model in one pass (faster, approximate). */
  calibrateOnce?: boolean;
  /** Called after each group is selected. */
  onProgress?: (event: { done: number; total: number; name: string; channels: number; width: number }) => void;
}

export type CompensateMode = "none" | "weights" | "data";
export const COMPENSATE_MODES: readonly CompensateMode[] = ["none", "weights", "data"];

export interface CheckedOptions {
  keep: number;
  widths: Map<string, number>;
  multipleOf: number;
  method: MethodName;
  p: 1 | 2;
  seed: number;
  compensate: CompensateMode;
}

export function checkOptions(options: ThinOptions): CheckedOptions {
  const keep = options.keep ?? 0.5;
  if (typeof keep !== "number" || !(keep > 0 && keep <= 1)) throw new ThinError(`--keep must be a number in (0, 1], got ${options.keep}`);
  const method = options.method ?? "somp";
  if (!METHODS.includes(method)) throw new ThinError(`--method must be one of ${METHODS.join(", ")}, got ${method}`);
  const p = options.p ?? 2;
  if (p !== 1 && p !== 2) throw new ThinError(`--p must be 1 or 2, got ${options.p}`);
  const multipleOf = options.multipleOf ?? 1;
  if (!Number.isInteger(multipleOf) || multipleOf < 1) throw new ThinError(`--multiple-of must be a positive integer, got ${options.multipleOf}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ThinError(`--seed must be an integer, got ${options.seed}`);
  const widths = new Map<string, number>();
  for (const [name, width] of Object.entries(options.widths ?? {})) {
    if (!Number.isInteger(width) || width < 1) throw new ThinError(`--width ${name}=${width}: the width must be an integer of at least 1`);
    widths.set(name, width);
  }
  const compensate = options.compensate ?? (options.calibration !== undefined ? "data" : "weights");
  if (!COMPENSATE_MODES.includes(compensate)) throw new ThinError(`--compensate must be one of ${COMPENSATE_MODES.join(", ")}, got ${compensate}`);
  if (compensate === "data" && options.calibration === undefined) throw new ThinError("--compensate data needs calibration inputs: add --calibrate FILE.npy");
  return { keep, widths, multipleOf, method, p, seed, compensate };
}
