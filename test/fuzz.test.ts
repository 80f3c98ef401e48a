// Bad input at scale: a few hundred corrupted variants of the fixtures through the CLI.
// Each must end in one clear line and exit 1 with nothing written, or in a model that
// ONNX Runtime loads and runs — never a crash, a hang, an internal error or a partial file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./helpers/cli.js";
import { onnx } from "../src/onnx/proto.js";
import { FIXTURES, fixture, runModel, sampleInput } from "./helpers/fixtures.js";
import { seededRandom } from "./ref/random.js";

interface Variant {
  label: string;
  fixture: string;
  bytes: Uint8Array;
  /** Extra files to place beside the model. */
  beside?: Record<string, Uint8Array>;
}

const random = seededRandom(2026);
const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
const names = Object.keys(FIXTURES).filter((n) => n !== "vgg_external");
const original = (name: string) => new Uint8Array(readFileSync(fixture(name)));
const decode = (name: string) => onnx.ModelProto.decode(original(name));
const encode = (model: onnx.ModelProto) => onnx.ModelProto.encode(model).finish();

function variants(): Variant[] {
  const out: Variant[] = [];
  for (let i = 0; i < 60; i++) {
    const name = pick(names), bytes = original(name);
    out.push({ label: `truncated ${name}`, fixture: name, bytes: bytes.subarray(0, Math.floor(random() * bytes.length)) });
  }
  for (let i = 0; i < 120; i++) {
    const name = pick(names), bytes = original(name).slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
    out.push({ label: `${flips} bytes flipped in ${name}`, fixture: name, bytes });
  }
  for (let i = 0; i < 30; i++) {
    const name = pick(names), model = decode(name);
    const tensor = pick(model.graph!.initializer!.filter((t) => (t.dims ?? []).length > 0));
    tensor.dims = (tensor.dims ?? []).map((d, k) => (k === 0 ? Number(d) + (random() < 0.5 ? 1 : -1) : d));
    out.push({ label: `dims and raw_data disagree in ${name}`, fixture: name, bytes: encode(model) });
  }
  for (let i = 0; i < 20; i++) {
    const name = pick(names), model = decode(name);
    const tensor = pick(model.graph!.initializer!.filter((t) => (t.dims ?? []).length >= 2 && t.rawData && t.rawData.length >= 4));
    const values = new Float32Array(new Uint8Array(tensor.rawData!).buffer);
    values[Math.floor(random() * values.length)] = pick([NaN, Infinity, -Infinity]);
    tensor.rawData = new Uint8Array(values.buffer);
    out.push({ label: `non-finite weight in ${name}`, fixture: name, bytes: encode(model) });
  }
  for (let i = 0; i < 10; i++) {
    const name = pick(names), model = decode(name), nodes = model.graph!.node!;
    const at = 1 + Math.floor(random() * (nodes.length - 1));
    nodes[0].input![0] = nodes[at].output![0];
    out.push({ label: `cycle in ${name}`, fixture: name, bytes: encode(model) });
  }
  for (let i = 0; i < 10; i++) {
    const name = pick(names), model = decode(name), node = pick(model.graph!.node!.filter((n) => (n.input ?? []).length > 0));
    node.input![0] = `nothing_makes_this_${i}`;
    out.push({ label: `dangling input in ${name}`, fixture: name, bytes: encode(model) });
  }
  for (let i = 0; i < 10; i++) {
    const model = decode("vgg_external");
    const tensor = pick(model.graph!.initializer!.filter((t) => t.externalData?.length));
    tensor.externalData!.find((e) => e.key === "location")!.value = `missing_${i}.bin`;
    out.push({ label: "dangling external-data path", fixture: "vgg_external", bytes: encode(model), beside: { "vgg_external.weights": original("vgg_external").subarray(0, 0) } });
  }
  return out;
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "onnx-thin-fuzz-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("corrupted models", () => {
  it("each ends in a clear error or a model that runs", async () => {
    const counts = { error: 0, valid: 0, inputAlsoUnrunnable: 0 };
    const list = variants();
    for (const [i, variant] of list.entries()) {
      const input = join(dir, `case${i}.onnx`), output = join(dir, `case${i}.thin.onnx`);
      writeFileSync(input, variant.bytes);
      if (variant.fixture === "vgg_external") copyFileSync(fixture("vgg_external").replace(/\.onnx$/, ".weights"), join(dir, "vgg_external.weights"));
      const { code, stderr } = await cli(input, "-o", output, "--keep", "0.5");
      const context = `${variant.label} (case ${i}): ${stderr}`;
      expect([0, 1], context).toContain(code);
      if (code === 1) {
        counts.error++;
        expect(stderr, context).toMatch(/^onnx-thin: (?!internal error).+\n$/);
        expect(existsSync(output), context).toBe(false);
        continue;
      }
      // Bytes the tool could not tell from a real model: the output must run whenever the
      // corrupted input itself does.
      const inputRuns = await runModel(input, sampleInput(FIXTURES[variant.fixture])).then(() => true, (e) => (process.env.FUZZ_DEBUG && console.log(variant.label, String(e).slice(0, 160)), false));
      if (!inputRuns) {
        counts.inputAlsoUnrunnable++;
        continue;
      }
      counts.valid++;
      const result = await runModel(output, sampleInput(FIXTURES[variant.fixture]));
      expect(result.dims.length, context).toBeGreaterThan(0);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(counts.error + counts.valid + counts.inputAlsoUnrunnable).toBe(list.length);
    console.log(`fuzz: ${list.length} variants: ${counts.error} clear errors, ${counts.valid} valid thin models, ${counts.inputAlsoUnrunnable} parsed but not runnable even before thinning`);
  }, 300_000);
});
