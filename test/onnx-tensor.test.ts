// Tensor storage: typed fields, float16 and double weights, written back in their own type.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { onnx } from "../src/onnx/proto.js";
import { decodeModel } from "../src/onnx/read.js";
import { tensorBytes, tensorFloats } from "../src/onnx/tensor.js";
import { ExternalStore } from "../src/onnx/external-store.js";
import { thin } from "../src/index.js";
import { fixture, relativeMaxDifference, runModel, sampleInput } from "./helpers/fixtures.js";

const T = onnx.TensorProto.DataType;
const noExternal = new ExternalStore();

function floatToHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000, exponent = ((bits >>> 23) & 0xff) - 127 + 15, mantissa = (bits >>> 13) & 0x3ff;
  return exponent <= 0 ? sign : exponent >= 31 ? sign | 0x7c00 : sign | (exponent << 10) | mantissa;
}

/** The MLP fixture with every initializer rewritten by `convert`. */
function mlpWith(convert: (t: onnx.ITensorProto, values: Float32Array) => void, graphType = T.FLOAT): Uint8Array {
  const model = decodeModel(readFileSync(fixture("mlp")), "mlp");
  for (const t of model.graph!.initializer!) {
    const values = Float32Array.from(tensorFloats(t, noExternal));
    delete t.rawData;
    convert(t, values);
  }
  for (const v of [...model.graph!.input!, ...model.graph!.output!]) v.type!.tensorType!.elemType = graphType;
  return onnx.ModelProto.encode(model).finish();
}

describe("tensor storage", () => {
  it("reads float_data, float16 and double tensors as float32", () => {
    const typed = { name: "a", dims: [3], dataType: T.FLOAT, floatData: [1.5, -2, 3] };
    expect(Array.from(tensorFloats(typed, noExternal))).toEqual([1.5, -2, 3]);
    const halves = new Uint16Array([1, -2, 0.5, 65504].map(floatToHalf));
    const half = { name: "h", dims: [4], dataType: T.FLOAT16, rawData: new Uint8Array(halves.buffer) };
    expect(Array.from(tensorFloats(half, noExternal))).toEqual([1, -2, 0.5, 65504]);
    const double = { name: "d", dims: [2], dataType: T.DOUBLE, doubleData: [0.25, -1e3] };
    expect(Array.from(tensorFloats(double, noExternal))).toEqual([0.25, -1000]);
    const halfTyped = { name: "ht", dims: [2], dataType: T.FLOAT16, int32Data: Array.from(halves.subarray(0, 2)) };
    expect(Array.from(tensorFloats(halfTyped, noExternal))).toEqual([1, -2]);
  });

  it("refuses a tensor whose bytes do not match its dims, naming it", () => {
    const bad = { name: "w", dims: [4], dataType: T.FLOAT, rawData: new Uint8Array(12) };
    expect(() => tensorBytes(bad, noExternal)).toThrow(/tensor "w" has dims \[4\] \(16 bytes\) but holds 12 bytes/);
  });

  it("a model with weights in float_data fields thins like one with raw_data", async () => {
    const typed = mlpWith((t, values) => (t.floatData = Array.from(values)));
    const input = sampleInput([2, 20]);
    const original = await runModel(fixture("mlp"), input);
    expect(relativeMaxDifference((await runModel((await thin(typed, { keep: 1 })).model, input)).data, original.data)).toBe(0);
    const half = await thin(typed, { keep: 0.5 });
    const fromRaw = await thin(fixture("mlp"), { keep: 0.5 });
    expect(half.plan.groups.map((g) => g.kept)).toEqual(fromRaw.plan.groups.map((g) => g.kept));
    expect((await runModel(half.model, input)).dims).toEqual([2, 4]);
  });

  it("double weights are selected as float32 and written back as double", async () => {
    const doubles = mlpWith((t, values) => {
      t.dataType = T.DOUBLE;
      t.rawData = new Uint8Array(Float64Array.from(values).buffer);
    }, T.DOUBLE);
    const result = await thin(doubles, { keep: 0.5 });
    const model = decodeModel(result.model, "thin");
    expect(model.graph!.initializer!.every((t) => t.dataType === T.DOUBLE)).toBe(true);
    expect(result.plan.groups.map((g) => g.kept)).toEqual((await thin(fixture("mlp"), { keep: 0.5 })).plan.groups.map((g) => g.kept));
    const x = new ort.Tensor("float64", Float64Array.from(sampleInput([2, 20]).data as Float32Array), [2, 20]);
    const session = await ort.InferenceSession.create(result.model);
    expect((await session.run({ input: x })).output.dims).toEqual([2, 4]);
  });

  it("float16 weights are written back as float16", async () => {
    const halves = mlpWith((t, values) => {
      t.dataType = T.FLOAT16;
      t.rawData = new Uint8Array(new Uint16Array(Array.from(values, floatToHalf)).buffer);
    }, T.FLOAT16);
    const result = await thin(halves, { keep: 0.5 });
    const model = decodeModel(result.model, "thin");
    expect(model.graph!.initializer!.every((t) => t.dataType === T.FLOAT16)).toBe(true);
    expect(result.report.parameters.after).toBeLessThan(result.report.parameters.before);
  });
});
