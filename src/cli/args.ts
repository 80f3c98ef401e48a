// Command-line parsing: one place, messages that name the option.
import { ThinError } from "../errors.js";
import type { ThinOptions } from "../options.js";
import type { MethodName } from "../select/methods.js";
import type { CompensateMode } from "../options.js";
import type { VerifyOptions } from "../verify.js";

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "inspect"; input: string; json: boolean }
  | { kind: "batch"; inputs: string[]; outDir: string; jobs?: number; json: boolean; force: boolean; options: ThinOptions }
  | { kind: "thin"; input: string; output: string; plan?: string; json: boolean; force: boolean; options: ThinOptions; verify?: VerifyOptions };

export const USAGE = `usage:
  onnx-thin <in.onnx> -o <out.onnx> [--keep R] [--width NAME=K]... [--multiple-of N]
            [--method somp|l1|random] [--p 1|2] [--seed S] [--plan plan.json] [--json] [--force]
            [--compensate none|weights|data] [--calibrate FILE.npy|DIR] [--calibrate-once]
            [--verify [--data FILE.npy|DIR] [--labels FILE.json|FILE.npy]]
  onnx-thin inspect <in.onnx> [--json]
  onnx-thin batch <files or globs>... --out-dir DIR [--jobs N] [the options above]
  onnx-thin --version | --help

  --keep R         fraction of channels every thinnable layer keeps, 0 < R ≤ 1 (default 0.5)
  --width NAME=K   keep K channels in the layer whose node or weight is NAME (repeatable)
  --multiple-of N  round widths up to a multiple of N
  --method M       somp (default; Lu et al. 2017), l1 (largest ℓ1 norms), random
  --p P            SOMP's aggregation: 2 (the paper, default) or 1 (Tropp)
  --seed S         seed for --method random (default 0)
  --compensate C   fold dropped channels into the next layers: weights (default, no data),
                   data (fit on --calibrate inputs; the default with --calibrate), none (the paper)
  --calibrate F    calibration inputs: float32 .npy, batch first (or a folder of them)
  --calibrate-once capture every layer on the wide model in one pass (faster, approximate)
  --verify         compare the thin model with the original in ONNX Runtime
  --data F         inputs for --verify (default: 64 random inputs)
  --labels F       labels for --verify: accuracy of both models
  --plan FILE      also write the plan (kept channels per layer) as JSON
  --out-dir DIR    batch: where the thinned models go (same file names)
  --jobs N         batch: models thinned at once, in worker threads (default: the cores)
  --json           print one JSON report instead of text
  --force          overwrite existing output files`;

function number(flag: string, value: string | undefined): number {
  if (value === undefined || value === "" || !Number.isFinite(Number(value))) throw new ThinError(`${flag} needs a number, got ${value === undefined ? "nothing" : `"${value}"`}`);
  return Number(value);
}

export function parseArgs(argv: string[]): Command {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  if (argv.includes("--version") || argv.includes("-V")) return { kind: "version" };
  const positional: string[] = [];
  const options: ThinOptions = {};
  const widths: Record<string, number> = {};
  let output: string | undefined, plan: string | undefined, outDir: string | undefined, jobs: number | undefined;
  let json = false, force = false, verify = false;
  let data: string | undefined, labels: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new ThinError(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case "-o": case "--output": output = value(); break;
      case "--keep": options.keep = number(arg, value()); break;
      case "--multiple-of": options.multipleOf = number(arg, value()); break;
      case "--p": options.p = number(arg, value()) as 1 | 2; break;
      case "--seed": options.seed = number(arg, value()); break;
      case "--method": options.method = value() as MethodName; break;
      case "--plan": plan = value(); break;
      case "--out-dir": outDir = value(); break;
      case "--jobs": jobs = number(arg, value()); break;
      case "--json": json = true; break;
      case "--force": force = true; break;
      case "--compensate": options.compensate = value() as CompensateMode; break;
      case "--calibrate": options.calibration = value(); break;
      case "--calibrate-once": options.calibrateOnce = true; break;
      case "--verify": verify = true; break;
      case "--data": data = value(); break;
      case "--labels": labels = value(); break;
      case "--width": {
        const spec = value();
        const at = spec.lastIndexOf("=");
        if (at <= 0) throw new ThinError(`--width needs NAME=K, got "${spec}"`);
        widths[spec.slice(0, at)] = number(`--width ${spec.slice(0, at)}`, spec.slice(at + 1));
        break;
      }
      default:
        if (arg.startsWith("-")) throw new ThinError(`unknown option ${arg} (see --help)`);
        positional.push(arg);
    }
  }
  if (Object.keys(widths).length) options.widths = widths;
  if (positional[0] === "batch") {
    if (positional.length < 2) throw new ThinError("batch takes one or more model files");
    if (!outDir) throw new ThinError("batch needs --out-dir DIR");
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new ThinError(`--jobs must be a positive integer, got ${jobs}`);
    if (output || plan || verify) throw new ThinError("-o, --plan and --verify are for one model; batch writes to --out-dir");
    return { kind: "batch", inputs: positional.slice(1), outDir, jobs, json, force, options };
  }
  if (outDir || jobs !== undefined) throw new ThinError("--out-dir and --jobs go with batch");
  if (positional[0] === "inspect") {
    if (positional.length !== 2) throw new ThinError("inspect takes one model file");
    return { kind: "inspect", input: positional[1], json };
  }
  if (positional.length !== 1) throw new ThinError(positional.length === 0 ? "no input model given (see --help)" : `one input model expected, got ${positional.join(", ")}`);
  if (!output) throw new ThinError("no output given: add -o <out.onnx>");
  if (!verify && (data || labels)) throw new ThinError("--data and --labels go with --verify");
  const verifyOptions = verify ? { data, labels } : undefined;
  return { kind: "thin", input: positional[0], output, plan, json, force, options, verify: verifyOptions };
}
