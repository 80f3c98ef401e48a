// Models with external data: read lazily, large sliced tensors spilled to disk, the output's
// data file written a tensor at a time; the result is the same as for an inline model.
import { afterEach, beforeEach, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onnx } from "../src/onnx/proto.js";
import { readModel } from "../src/onnx/read.js";
import { thinLoaded } from "../src/thin.js";
import { encodeModel, writeModelFiles } from "../src/onnx/write.js";
import { relativeMaxDifference, runModel, sampleInput } from "./helpers/fixtures.js";
import { randomNormal } from "./ref/random.js";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "onnx-thin-external-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** input [b, 300] → Gemm(2400) → Relu → Gemm(4), weights in "weights.bin" (W1 is 2.9 MB). */
function writeExternalModel(): string {
  const tensors = [
    { name: "w1", dims: [2400, 300], data: randomNormal(2400 * 300, 1).map((v) => v * 0.05) },
    { name: "b1", dims: [2400], data: randomNormal(2400, 2) },
    { name: "w2", dims: [4, 2400], data: randomNormal(4 * 2400, 3).map((v) => v * 0.05) },
  ];
  let offset = 0;
  const parts: Uint8Array[] = [];
  const initializer = tensors.map((t) => {
    const bytes = new Uint8Array(t.data.buffer);
    parts.push(bytes);
    const entry = { name: t.name, dims: t.dims, dataType: 1, dataLocation: 1, externalData: [
      { key: "location", value: "weights.bin" }, { key: "offset", value: String(offset) }, { key: "length", value: String(bytes.byteLength) }] };
    offset += bytes.byteLength;
    return entry;
  });
  writeFileSync(join(dir, "weights.bin"), Buffer.concat(parts));
  const floatValue = (name: string, dims: (number | string)[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "external", initializer,
      node: [
        { opType: "Gemm", name: "fc1", input: ["input", "w1", "b1"], output: ["h"], attribute: [{ name: "transB", type: 2, i: 1 }] },
        { opType: "Relu", name: "relu", input: ["h"], output: ["r"] },
        { opType: "Gemm", name: "fc2", input: ["r", "w2"], output: ["output"], attribute: [{ name: "transB", type: 2, i: 1 }] },
      ],
      input: [floatValue("input", ["batch", 300])],
      output: [floatValue("output", ["batch", 4])],
    },
  });
  const path = join(dir, "model.onnx");
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

it("reads nothing up front, spills the large sliced tensor, streams the output, and stays exact", async () => {
  const path = writeExternalModel();
  const input = sampleInput([3, 300]);
  const original = await runModel(path, input);
  for (const [keep, compensate] of [[1, "weights"], [0.5, "none"], [0.5, "weights"]] as const) {
    const loaded = readModel(path);
    expect(loaded.external.bytesRead).toBe(0);
    const thinned = await thinLoaded(loaded, { keep, compensate });
    const out = join(dir, `thin-${keep}-${compensate}.onnx`);
    writeModelFiles(out, encodeModel(loaded.model, loaded.external, `thin-${keep}-${compensate}.data`), { force: true });
    // W1 is read for selection and again to slice and to write, never kept: its cut half
    // (1.4 MB) goes to the spill file, and only small tensors stay in memory.
    expect(thinned.plan.groups[0].to).toBe(keep === 1 ? 2400 : 1200);
    expect(loaded.external.spilled).toBe(keep < 1);
    expect(loaded.external.peakHeldBytes).toBeLessThan(1 << 20);
    // At full width nothing is selected or sliced: not one tensor is read into memory, the
    // output's data file is streamed straight from the input's.
    expect(loaded.external.bytesRead > 0).toBe(keep < 1);
    loaded.external.close();
    const result = await runModel(out, input);
    expect(result.dims).toEqual([3, 4]);
    if (keep === 1) expect(relativeMaxDifference(result.data, original.data)).toBeLessThan(1e-6);
    expect(existsSync(join(dir, `thin-${keep}-${compensate}.data`))).toBe(true);
  }
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`onnx-thin-${process.pid}-`) && f.endsWith(".spill"))).toEqual([]);
});
