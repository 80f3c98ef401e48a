// npm run compare — accuracy before any fine-tuning of the bundled MNIST CNN, thinned by
// every selection method × compensation mode at three widths. Prints a table and writes
// bench/results/compare.json. A benchmark, not a test.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { thin } from "../src/index.js";
import { verifyModels } from "../src/verify.js";
import { readInputs, readLabels } from "../src/calibrate/npy.js";
import { readFileSync } from "node:fs";

const example = (file: string) => fileURLToPath(new URL(`../examples/mnist/${file}`, import.meta.url));
const model = readFileSync(example("cnn.onnx"));
const data = readInputs(example("test.npy"));
const labels = readLabels(example("test-labels.json"));
const calibration = example("calib.npy");

const methods = ["somp", "l1", "random"] as const;
const modes = ["none", "weights", "data"] as const;
const keeps = [0.5, 0.25, 0.125];
const rows: Array<Record<string, unknown>> = [];
let wide = 0;
for (const keep of keeps)
  for (const method of methods)
    for (const compensate of modes) {
      const start = performance.now();
      const result = await thin(model, { keep, method, compensate, seed: 1, calibration: compensate === "data" ? calibration : undefined });
      const seconds = (performance.now() - start) / 1000;
      const verify = await verifyModels(model, result.model, { data, labels });
      wide = verify.accuracy!.original;
      rows.push({ keep, method, compensate, accuracy: verify.accuracy!.thinned, cosine: verify.cosine, parameters: result.report.parameters.after, seconds });
    }

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
console.log(`Bundled MNIST CNN: wide accuracy ${pct(wide).trim()} on ${labels.length} held-out digits; thin accuracy before fine-tuning:\n`);
console.log(`keep   method   ${modes.map((m) => m.padStart(8)).join("")}`);
for (const keep of keeps)
  for (const method of methods) {
    const cells = modes.map((mode) => pct(rows.find((r) => r.keep === keep && r.method === method && r.compensate === mode)!.accuracy as number).padStart(8));
    console.log(`${String(keep).padEnd(6)} ${method.padEnd(8)} ${cells.join("")}`);
  }
const out = fileURLToPath(new URL("./results/compare.json", import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), wideAccuracy: wide, samples: labels.length, rows }, null, 2) + "\n");
console.log(`\nfigures written to ${out}`);
