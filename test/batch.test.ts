// onnx-thin batch: many models through a pool of worker threads.
import { afterEach, beforeEach, expect, it } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES, fixture, runModel, sampleInput } from "./helpers/fixtures.js";
import { cli } from "./helpers/cli.js";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "onnx-thin-batch-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));


it("thins every model, reports a failure without stopping the others, and exits 1", async () => {
  const input = join(dir, "in"), out = join(dir, "out");
  mkdirSync(input);
  mkdirSync(out);
  const names = ["vgg_plain", "resnet_mini", "mlp", "squeeze_fire", "transformer_layer"];
  for (const name of names) copyFileSync(fixture(name), join(input, `${name}.onnx`));
  writeFileSync(join(input, "broken.onnx"), "not a model");
  const result = await cli("batch", join(input, "*.onnx"), "--out-dir", out, "--jobs", "2", "--keep", "0.5");
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split("\n")).toHaveLength(6); // one line per model
  expect(result.stderr).toMatch(/broken\.onnx: failed: .*broken\.onnx: not a valid ONNX model/);
  expect(result.stdout).toMatch(/5 thinned, 1 failed/);
  expect(readdirSync(out).sort()).toEqual(names.map((n) => `${n}.onnx`).sort());
  for (const name of names) expect((await runModel(join(out, `${name}.onnx`), sampleInput(FIXTURES[name]))).dims.length).toBeGreaterThan(0);
});

it("--json gives one result per model; all good means exit 0; outputs are not overwritten without --force", async () => {
  const out = join(dir, "out");
  mkdirSync(out);
  const result = await cli("batch", fixture("mlp"), fixture("vgg_plain"), "--out-dir", out, "--json", "--jobs", "1");
  expect(result.code).toBe(0);
  const results = JSON.parse(result.stdout);
  expect(results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true]);
  expect(results[1].parameters.after).toBeLessThan(results[1].parameters.before);
  const again = await cli("batch", fixture("mlp"), "--out-dir", out, "--json");
  expect(again.code).toBe(1);
  expect(JSON.parse(again.stdout)[0].error).toMatch(/already exists \(use --force/);
  expect((await cli("batch", fixture("mlp"), "--out-dir", out, "--force")).code).toBe(0);
});

it("refuses bad batch arguments before starting", async () => {
  expect((await cli("batch", fixture("mlp"))).stderr).toMatch(/batch needs --out-dir DIR/);
  expect((await cli("batch", fixture("mlp"), "--out-dir", join(dir, "nope"))).stderr).toMatch(/--out-dir .*nope: no such directory/);
  expect((await cli("batch", join(dir, "*.onnx"), "--out-dir", dir)).stderr).toMatch(/matches no file/);
  expect((await cli("batch", fixture("mlp"), "--out-dir", dir, "--jobs", "0")).stderr).toMatch(/--jobs must be a positive integer/);
  expect((await cli("batch", fixture("mlp"), fixture("mlp"), "--out-dir", dir)).stderr).toMatch(/both be written to/);
  expect(existsSync(join(dir, "mlp.onnx"))).toBe(false);
});
