// npm run bench:batch — batch throughput with 1 and 2 worker threads on 20 small models
// (copies of the bundled MNIST CNN, 467,818 parameters each, default options). Writes
// bench/results/batch.json. Run `npm run build:ts` first: the workers run the compiled code.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { thinBatch } from "../src/batch/batch.js";

// OpenBLAS is set up once per process, by the first worker that loads it, so each worker
// count is measured in a fresh process.
if (process.argv[2] === "--child") {
  const [, , , jobs, outDir, ...models] = process.argv;
  const start = performance.now();
  const results = await thinBatch(models, { outDir, jobs: Number(jobs), keep: 0.5 });
  if (!results.every((r) => r.ok)) throw new Error("a model failed: " + results.find((r) => !r.ok)!.error);
  process.stdout.write(String((performance.now() - start) / 1000));
  process.exit(0);
}

const source = fileURLToPath(new URL("../examples/mnist/cnn.onnx", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "onnx-thin-batch-"));
const models = Array.from({ length: 20 }, (_, i) => {
  const path = join(dir, `model${String(i).padStart(2, "0")}.onnx`);
  copyFileSync(source, path);
  return path;
});
const runs = [];
try {
  for (const jobs of [1, 2]) {
    const outDir = join(dir, `out${jobs}`);
    mkdirSync(outDir);
    const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", String(jobs), outDir, ...models], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(child.stderr);
    const seconds = Number(child.stdout);
    runs.push({ jobs, seconds, modelsPerSecond: models.length / seconds });
    console.log(`${jobs} worker${jobs > 1 ? "s" : " "}: ${models.length} models in ${seconds.toFixed(2)} s (${(models.length / seconds).toFixed(1)} models/s)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const scaling = runs[1].modelsPerSecond / runs[0].modelsPerSecond;
console.log(`scaling from 1 to 2 workers: ${scaling.toFixed(2)}×`);
const out = fileURLToPath(new URL("./results/batch.json", import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), models: models.length, runs, scaling }, null, 2) + "\n");
