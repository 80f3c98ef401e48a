// npm run bench:models — whole models end to end: torchvision VGG-16 and ResNet-50 and a
// BERT-base stack of feed-forward blocks (made by bench/make_models.py; skipped without
// python3-torch). Per model: wall time against the floor (reading the file plus a float64
// Gram of every producer's weight matrix, both measured here), and peak RSS against the
// file's size. Writes bench/results/models.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const models = join(here, ".models");
const MODELS = ["vgg16", "resnet50", "bert_ffn", "wide_external"];

/** Reads a file (and its external data) in chunks: the time, without holding it. */
function readAll(path: string): number {
  const { openSync, readSync, closeSync } = require("node:fs") as typeof import("node:fs");
  const start = performance.now();
  const chunk = Buffer.allocUnsafe(64 << 20);
  for (const file of [path, path + ".data"].filter(existsSync)) {
    const fd = openSync(file, "r");
    while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    closeSync(fd);
  }
  return (performance.now() - start) / 1000;
}

async function child(mode: string, path: string, compensate: string) {
  if (mode === "floor") {
    // Floor: read the file, then the Gram of every producer weight (what selection cannot avoid).
    const { readModel } = await import("../src/onnx/read.js");
    const { GraphIndex } = await import("../src/graph/graph-index.js");
    const { analyzeChannels } = await import("../src/graph/analyze.js");
    const { tensorFloats } = await import("../src/onnx/tensor.js");
    const { somp } = await import("../src/somp.js");
    const readSeconds = readAll(path);
    const loaded = readModel(path);
    const analysis = analyzeChannels(new GraphIndex(loaded.model.graph!, path), loaded.external);
    let gramSeconds = 0;
    for (const g of analysis.groups.roots())
      for (const p of analysis.groups.producers(g)) {
        const w = tensorFloats(p.weight, loaded.external);
        const n = Number(p.weight.dims![p.rowAxis]);
        gramSeconds += (await somp(w, n, w.length / n, 1)).gramSeconds;
      }
    loaded.external.close();
    return { readSeconds, gramSeconds };
  }
  const { thinLoaded } = await import("../src/thin.js");
  const { readModel } = await import("../src/onnx/read.js");
  const { encodeModel, externalFileNameFor, writeModelFiles } = await import("../src/onnx/write.js");
  const start = performance.now();
  const loaded = readModel(path);
  const thinned = await thinLoaded(loaded, { keep: 0.5, compensate: compensate as "none" | "weights" });
  const out = path + ".thin.onnx";
  writeModelFiles(out, encodeModel(loaded.model, loaded.external, loaded.usesExternalData ? externalFileNameFor(out) : undefined), { force: true });
  loaded.external.close();
  const seconds = (performance.now() - start) / 1000;
  rmSync(out, { force: true });
  rmSync(out + ".data", { force: true });
  return { seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024, parameters: thinned.report.parameters, thinnedLayers: thinned.report.groups.thinned };
}

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(await child(process.argv[3], process.argv[4], process.argv[5])));
  process.exit(0);
}

const make = spawnSync("/usr/bin/python3", [join(here, "make_models.py")], { stdio: ["ignore", "inherit", "inherit"] });
const rows: Array<Record<string, unknown>> = [];
for (const name of MODELS) {
  const path = join(models, `${name}.onnx`);
  if (!existsSync(path)) {
    console.log(`${name}: skipped (${make.status === 0 ? "not generated" : "needs python3-torch to generate"})`);
    continue;
  }
  const run = (...args: string[]) => {
    const out = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (out.status !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout);
  };
  const fileBytes = statSync(path).size + (existsSync(path + ".data") ? statSync(path + ".data").size : 0);
  const floor = run("floor", path, "none");
  const floorSeconds = floor.readSeconds + floor.gramSeconds;
  for (const compensate of ["none", "weights"]) {
    const result = run("thin", path, compensate);
    const row = {
      model: name, compensate, fileMiB: fileBytes / 2 ** 20, ...result, floorSeconds, ...floor,
      timeOverFloor: result.seconds / floorSeconds, rssOverFile: result.peakRssBytes / fileBytes,
    };
    rows.push(row);
    console.log(
      `${name.padEnd(9)} compensate ${compensate.padEnd(7)} ${result.seconds.toFixed(1).padStart(6)} s = ${row.timeOverFloor.toFixed(2)}× floor ` +
        `(${floorSeconds.toFixed(1)} s: read ${floor.readSeconds.toFixed(2)} + Grams ${floor.gramSeconds.toFixed(1)}), ` +
        `peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB = ${row.rssOverFile.toFixed(2)}× the ${row.fileMiB.toFixed(0)} MiB file; ` +
        `${result.thinnedLayers} layers thinned`,
    );
  }
}
const out = join(here, "results", "models.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n");
console.log(`figures written to ${out}`);
