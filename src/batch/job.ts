// One model of a batch: what a worker is sent and what it sends back (plain data, so it
// crosses the thread boundary by structured clone).
import type { ThinOptions } from "../options.js";

export type BatchThinOptions = Omit<ThinOptions, "onProgress" | "calibration"> & { calibration?: string };

export interface BatchJob {
  input: string;
  output: string;
  force: boolean;
  options: BatchThinOptions;
}

export interface BatchResult {
  input: string;
  output: string;
  ok: boolean;
  /** One line saying what went wrong, when not ok. */
  error?: string;
  seconds: number;
  parameters?: { before: number; after: number };
  layers?: { thinned: number; frozen: number };
}

/** Thins one model to its output file; never throws (failures are results). */
export async function runJob(job: BatchJob): Promise<BatchResult> {
  const start = performance.now();
  const { readModel } = await import("../onnx/read.js");
  const { encodeModel, externalFileNameFor, writeModelFiles, checkOutputPath } = await import("../onnx/write.js");
  const { thinLoaded } = await import("../thin.js");
  const { ThinError } = await import("../errors.js");
  const done = (rest: Partial<BatchResult>): BatchResult => ({ input: job.input, output: job.output, ok: false, seconds: (performance.now() - start) / 1000, ...rest });
  try {
    checkOutputPath(job.output, { force: job.force, protectedPaths: [job.input] });
    const loaded = readModel(job.input);
    let thinned;
    try {
      thinned = await thinLoaded(loaded, job.options);
      const encoded = encodeModel(loaded.model, loaded.external, loaded.usesExternalData ? externalFileNameFor(job.output) : undefined);
      writeModelFiles(job.output, encoded, { force: job.force, protectedPaths: [job.input] });
    } finally {
      loaded.external.close();
    }
    return done({ ok: true, parameters: thinned.report.parameters, layers: { thinned: thinned.report.groups.thinned, frozen: thinned.report.groups.frozen } });
  } catch (error) {
    const message = error instanceof ThinError ? error.message : `internal error: ${(error as Error).message}`;
    return done({ error: message });
  }
}
