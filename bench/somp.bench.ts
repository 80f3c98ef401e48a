// npm run bench — native SOMP against the TypeScript reference and a dense NumPy version of
// the same Gram algorithm; the Gram/selection split; peak memory of one call; the machine's
// dgemm rate measured in the same run. Figures go to stdout and bench/results/somp.json.
//   npm run bench                 all sizes
//   npm run bench -- --quick      the smallest size only
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { native } from "../src/native.js";
import { somp } from "../src/index.js";
import { referenceSomp } from "../test/ref/somp-ref.js";

interface Size {
  label: string;
  n: number;
  m: number;
  k: number;
  numpyBaseline: boolean;
}

const SIZES: Size[] = [
  { label: "512×4608 (VGG conv)", n: 512, m: 4608, k: 256, numpyBaseline: true },
  { label: "2048×8192", n: 2048, m: 8192, k: 1024, numpyBaseline: true },
  { label: "4096×25088 (VGG-16 fc6)", n: 4096, m: 25088, k: 2048, numpyBaseline: false },
];

/** Deterministic uniform weights in [-0.5, 0.5): timing does not depend on the values. */
function weights(n: number, m: number): Float32Array {
  const w = new Float32Array(n * m);
  let state = 12345;
  for (let i = 0; i < w.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    w[i] = state / 4294967296 - 0.5;
  }
  return w;
}

const mib = (bytes: number) => bytes / (1 << 20);

interface PeakMemory {
  /** Peak RSS growth of the first call of this size (includes OpenBLAS's once-per-process buffers). */
  firstCallBytes: number;
  /** Peak RSS growth of a second call of the same size: what each call costs. */
  repeatCallBytes: number;
}

/** Runs somp twice in a fresh process; returns the growth of peak RSS during each call. */
function measurePeakMemory(size: Size): PeakMemory {
  const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--memory-child", `${size.n}`, `${size.m}`, `${size.k}`], {
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error("memory child failed: " + child.stderr);
  return JSON.parse(child.stdout) as PeakMemory;
}

async function memoryChild(n: number, m: number, k: number) {
  const w = weights(n, m);
  // OpenBLAS allocates its thread buffers once per process, on the first call: warm it up
  // so the figure is what one call costs, not what loading BLAS costs.
  await somp(weights(64, 64), 64, 64, 32);
  const peak = () => process.resourceUsage().maxRSS * 1024;
  const start = peak();
  await somp(w, n, m, k);
  const afterFirst = peak();
  // The peak only grows, so a repeat call shows up only if it needs more than the first
  // left mapped; measure it against the current RSS instead.
  const { rss } = process.memoryUsage();
  await somp(w, n, m, k);
  const memory: PeakMemory = { firstCallBytes: afterFirst - start, repeatCallBytes: Math.max(0, peak() - rss) };
  process.stdout.write(JSON.stringify(memory));
}

function numpyBaseline(size: Size, w: Float32Array): { gramSeconds: number; selectSeconds: number; indices: number[] } | string {
  const probe = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
  if (probe.status !== 0) return "skipped: python3 with numpy not found";
  const dir = join(tmpdir(), `onnx-thin-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "w.f32");
  try {
    writeFileSync(file, w);
    const script = fileURLToPath(new URL("./dense_baseline.py", import.meta.url));
    const run = spawnSync("python3", [script, file, `${size.n}`, `${size.m}`, `${size.k}`], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (run.status !== 0) return "failed: " + run.stderr.trim().split("\n").pop();
    const out = JSON.parse(run.stdout);
    return { gramSeconds: out.gram_seconds, selectSeconds: out.select_seconds, indices: out.indices };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function referenceComparison() {
  // The reference is O(k·n²·m): only a small matrix is feasible.
  const n = 128, m = 576, k = 64;
  const w = weights(n, m);
  let start = performance.now();
  const ref = referenceSomp(w, n, m, k);
  const referenceSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const got = native.sompSync(w, n, m, k);
  const nativeSeconds = (performance.now() - start) / 1000;
  const identical = ref.indices.every((v, i) => v === got.indices[i]);
  return { n, m, k, referenceSeconds, nativeSeconds, speedup: referenceSeconds / nativeSeconds, identical };
}

async function main() {
  const quick = process.argv.includes("--quick");
  const sizes = quick ? SIZES.slice(0, 1) : SIZES;
  const gemmGflops = native.measureGemmGflops(2048, 3);
  console.log(`BLAS backend: ${native.backend}; dgemm 2048³: ${gemmGflops.toFixed(1)} GFLOP/s\n`);

  const reference = referenceComparison();
  console.log(
    `TS reference vs native on ${reference.n}×${reference.m}, k = ${reference.k}: ` +
      `${reference.referenceSeconds.toFixed(2)} s vs ${(reference.nativeSeconds * 1000).toFixed(1)} ms ` +
      `(${reference.speedup.toFixed(0)}×), same rows: ${reference.identical}\n`,
  );

  const rows = [];
  for (const size of sizes) {
    const w = weights(size.n, size.m);
    const start = performance.now();
    const result = await somp(w, size.n, size.m, size.k);
    const totalSeconds = (performance.now() - start) / 1000;
    const gramGflops = (size.n * size.n * size.m) / result.gramSeconds / 1e9;
    const memory = measurePeakMemory(size);
    const budgetBytes = 2 * size.n * size.n * 8;
    const row: Record<string, unknown> = {
      size: size.label, n: size.n, m: size.m, k: size.k, form: result.form,
      totalSeconds, gramSeconds: result.gramSeconds, selectSeconds: result.selectSeconds,
      gramGflops, gemmGflops, selectionWithinGram: result.selectSeconds <= result.gramSeconds,
      firstCallExtraMiB: mib(memory.firstCallBytes), repeatCallExtraMiB: mib(memory.repeatCallBytes),
      budgetMiB: mib(budgetBytes), withinMemoryBudget: memory.repeatCallBytes <= budgetBytes,
    };
    console.log(`${size.label}, k = ${size.k} (${result.form} form)`);
    console.log(`  somp total      ${totalSeconds.toFixed(3)} s`);
    console.log(`  Gram            ${result.gramSeconds.toFixed(3)} s  ${gramGflops.toFixed(1)} GFLOP/s (dgemm: ${gemmGflops.toFixed(1)})`);
    console.log(`  selection       ${result.selectSeconds.toFixed(3)} s  (${row.selectionWithinGram ? "≤" : ">"} Gram)`);
    console.log(
      `  peak memory     +${mib(memory.repeatCallBytes).toFixed(1)} MiB per call beyond the input ` +
        `(first call in the process: +${mib(memory.firstCallBytes).toFixed(1)} MiB); budget 2·n² doubles = ${mib(budgetBytes).toFixed(1)} MiB`,
    );
    if (size.numpyBaseline) {
      const dense = numpyBaseline(size, w);
      if (typeof dense === "string") {
        console.log(`  NumPy dense     ${dense}`);
        row.numpy = dense;
      } else {
        const denseTotal = dense.gramSeconds + dense.selectSeconds;
        const same = dense.indices.every((v, i) => v === result.indices[i]);
        console.log(`  NumPy dense     ${denseTotal.toFixed(3)} s (Gram ${dense.gramSeconds.toFixed(3)}, selection ${dense.selectSeconds.toFixed(3)}): native is ${(denseTotal / totalSeconds).toFixed(1)}× faster; same rows: ${same}`);
        Object.assign(row, { numpySeconds: denseTotal, numpyGramSeconds: dense.gramSeconds, numpySelectSeconds: dense.selectSeconds, speedupOverNumpy: denseTotal / totalSeconds, sameRowsAsNumpy: same });
      }
    }
    console.log();
    rows.push(row);
  }
  const out = fileURLToPath(new URL(`./results/somp${quick ? "-quick" : ""}.json`, import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), backend: native.backend, gemmGflops, reference, sizes: rows }, null, 2) + "\n");
  console.log(`figures written to ${out}`);
}

if (process.argv[2] === "--memory-child") await memoryChild(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
else await main();
