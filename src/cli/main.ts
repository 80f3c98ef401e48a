// The onnx-thin command, as a function of its arguments and output streams (bin.ts runs it).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ThinError } from "../errors.js";
import type { LoadedModel } from "../onnx/read.js";
import { parseArgs, USAGE, type Command } from "./args.js";
import { formatBatchLine, formatBatchSummary, formatInspect, formatReport, formatVerify } from "./format.js";

function version(): string {
  // src/cli/main.ts and dist/src/cli/main.js: the package root is the first folder up with package.json.
  let dir = new URL("./", import.meta.url);
  while (!existsSync(fileURLToPath(new URL("package.json", dir)))) dir = new URL("../", dir);
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("package.json", dir)), "utf8"));
  return pkg.version;
}

export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

async function runThin(command: Extract<Command, { kind: "thin" }>, io: CliStreams): Promise<void> {
  const { readModel } = await import("../onnx/read.js");
  const { checkOutputPath } = await import("../onnx/write.js");
  const protectedPaths = [command.input];
  // Refuse a bad output before spending time on the model.
  checkOutputPath(command.output, { force: command.force, protectedPaths });
  if (command.plan) checkOutputPath(command.plan, { force: command.force, protectedPaths: [...protectedPaths, command.output] });
  const loaded = readModel(command.input);
  try {
    await thinAndWrite(command, io, loaded);
  } finally {
    loaded.external.close();
  }
}

/** Thins the loaded model and writes the output, the plan and the verification. */
async function thinAndWrite(command: Extract<Command, { kind: "thin" }>, io: CliStreams, loaded: LoadedModel): Promise<void> {
  const { readModel } = await import("../onnx/read.js");
  const { encodeModel, externalFileNameFor, writeModelFiles, writeAtomic } = await import("../onnx/write.js");
  const { thinLoaded } = await import("../thin.js");
  const protectedPaths = [command.input];
  const progress = !command.json && io.stderr.isTTY === true;
  const thinned = await thinLoaded(loaded, {
    ...command.options,
    onProgress: progress ? (e) => io.stderr.write(`\r\x1b[K[${e.done}/${e.total}] ${e.name}: ${e.channels} → ${e.width}`) : undefined,
  });
  if (progress) io.stderr.write("\r\x1b[K");
  const encoded = encodeModel(loaded.model, loaded.external, loaded.usesExternalData ? externalFileNameFor(command.output) : undefined);
  writeModelFiles(command.output, encoded, { force: command.force, protectedPaths });
  if (command.plan) writeAtomic(command.plan, new TextEncoder().encode(JSON.stringify(thinned.plan, null, 2) + "\n"));
  let verification;
  if (command.verify) {
    const { verifyModels } = await import("../verify.js");
    const inline = (path: string) => {
      const model = readModel(path);
      try {
        return encodeModel(model.model, model.external).model;
      } finally {
        model.external.close();
      }
    };
    verification = await verifyModels(inline(command.input), inline(command.output), command.verify);
  }
  if (command.json) io.stdout.write(JSON.stringify({ output: command.output, report: thinned.report, plan: thinned.plan, verify: verification }) + "\n");
  else io.stdout.write(formatReport(thinned.plan, thinned.report, command.output) + "\n" + (verification ? formatVerify(verification) + "\n" : ""));
}

async function runBatch(command: Extract<Command, { kind: "batch" }>, io: CliStreams): Promise<number> {
  const { thinBatch, expandInputs } = await import("../batch/batch.js");
  const { calibration, ...rest } = command.options;
  const results = await thinBatch(expandInputs(command.inputs), {
    ...rest,
    calibration: typeof calibration === "string" ? calibration : undefined,
    outDir: command.outDir,
    jobs: command.jobs,
    force: command.force,
    onResult: command.json ? undefined : (r, done, total) => io.stderr.write(formatBatchLine(r, done, total) + "\n"),
  });
  io.stdout.write((command.json ? JSON.stringify(results) : formatBatchSummary(results)) + "\n");
  return results.every((r) => r.ok) ? 0 : 1;
}

/** Runs the command; returns the exit code (0 ok, 1 bad input, 70 internal error). */
export async function runCli(argv: string[], io: CliStreams): Promise<number> {
  try {
    const command = parseArgs(argv);
    if (command.kind === "help") io.stdout.write(USAGE + "\n");
    else if (command.kind === "version") io.stdout.write(version() + "\n");
    else if (command.kind === "inspect") {
      const { inspect } = await import("../inspect.js");
      const result = inspect(command.input);
      io.stdout.write((command.json ? JSON.stringify(result) : formatInspect(result)) + "\n");
    } else if (command.kind === "batch") return await runBatch(command, io);
    else await runThin(command, io);
    return 0;
  } catch (error) {
    // A ThinError is about the input and fits on one line; anything else is our bug.
    if (error instanceof ThinError) io.stderr.write(`onnx-thin: ${error.message}\n`);
    else io.stderr.write(`onnx-thin: internal error: ${(error as Error).stack ?? error}\n`);
    return error instanceof ThinError ? 1 : 70;
  }
}
