// Folding dropped channels into the next layers (--compensate weights | data).
import { afterEach, describe, expect, it, vi } from "vitest";
import { thin } from "../src/index.js";
import { native } from "../src/native.js";
import { covariance, fitCoefficients } from "../src/calibrate/fit.js";
import { FIXTURES, fixture, relativeMaxDifference, runModel, sampleInput } from "./helpers/fixtures.js";
import { randomNormal } from "./ref/random.js";

/** Calibration inputs: deterministic normal draws of the fixture's input shape. */
function calibration(shape: number[], samples: number, seed = 5) {
  const perSample = shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: randomNormal(samples * perSample, seed), shape: [samples, ...shape.slice(1)] };
}

// Networks that are linear end to end and whose thinned groups have exactly the rank kept:
// folding must reproduce the wide model, slicing alone must not.
const LINEAR: Array<[string, number[], Record<string, number>]> = [
  ["linear_chain", [4, 12], { "/0/Gemm": 4 }],
  ["linear_conv_chain", [2, 3, 16, 16], { "/0/Conv": 3, "/1/Conv": 2 }], // Flatten → Gemm boundary
  ["linear_residual", [2, 3, 8, 8], { "/conv_a/Conv": 3 }], // residual Add couples conv_a and conv_b
];

describe.each(LINEAR)("%s: exact when what lies between is linear", (name, shape, widths) => {
  const input = sampleInput(shape);
  const thinWith = (compensate: "none" | "weights" | "data") =>
    thin(fixture(name), { keep: 1, widths, compensate, calibration: compensate === "data" ? calibration(shape, 64) : undefined });

  it("weights: W_{l+1}·α reproduces the outputs", async () => {
    const original = await runModel(fixture(name), input);
    const result = await thinWith("weights");
    expect(result.plan.groups.filter((g) => g.to < g.from).every((g) => g.compensation === "weights")).toBe(true);
    expect(relativeMaxDifference((await runModel(result.model, input)).data, original.data)).toBeLessThan(1e-4);
  });

  it("data: α and β fitted on activations reproduce the outputs", async () => {
    const original = await runModel(fixture(name), input);
    const result = await thinWith("data");
    expect(result.plan.groups.filter((g) => g.to < g.from).every((g) => g.compensation === "data")).toBe(true);
    expect(relativeMaxDifference((await runModel(result.model, input)).data, original.data)).toBeLessThan(1e-3);
  });

  it("none (the paper) only slices, and the outputs change", async () => {
    const original = await runModel(fixture(name), input);
    const result = await thinWith("none");
    expect(result.plan.compensate).toBe("none");
    expect(relativeMaxDifference((await runModel(result.model, input)).data, original.data)).toBeGreaterThan(1e-2);
  });
});

describe("compensation on real graphs", () => {
  it("keep = 1 with any compensation reproduces every fixture", async () => {
    for (const [name, shape] of Object.entries(FIXTURES)) {
      const input = sampleInput(shape);
      const original = await runModel(fixture(name), input);
      for (const compensate of ["weights", "data"] as const) {
        const result = await thin(fixture(name), { keep: 1, compensate, calibration: calibration(shape, 8) });
        expect(relativeMaxDifference((await runModel(result.model, input)).data, original.data), `${name} ${compensate}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it("falls back to slicing where a reader is not linear, and says why", async () => {
    const mobile = await thin(fixture("mobilenet_block"), { keep: 0.5, compensate: "weights" });
    const expand = mobile.plan.groups.find((g) => g.producers.includes("/blocks/blocks.0/block/block.0/Conv"))!;
    expect(expand.compensation).toBe("none");
    expect(expand.compensationNote).toMatch(/a depthwise conv reads these channels one by one/);
    const misc = await thin(fixture("misc_ops"), { keep: 0.5, calibration: calibration(FIXTURES.misc_ops, 16) });
    const excite = misc.plan.groups.find((g) => g.producers.includes("/se2/Conv"))!;
    expect(excite.compensationNote).toMatch(/Mul of two activations/);
    expect(misc.plan.groups.find((g) => g.producers.includes("/fc1/Gemm"))!.compensation).toBe("data");
    expect((await runModel(misc.model, sampleInput(FIXTURES.misc_ops))).dims).toEqual([2, 3]);
  });

  it("a MatMul reader without a bias gets one (an Add after it) for β", async () => {
    const result = await thin(fixture("transformer_layer"), { keep: 0.5, calibration: calibration(FIXTURES.transformer_layer, 16) });
    expect(result.plan.groups.find((g) => g.producers.includes("/linear1/MatMul"))!.compensation).toBe("data");
    expect((await runModel(result.model, sampleInput(FIXTURES.transformer_layer))).dims).toEqual([2, 6, 32]);
  });

  it("--calibrate-once gives a valid model close to the sequential one", async () => {
    const data = calibration(FIXTURES.resnet_mini, 64);
    const input = sampleInput(FIXTURES.resnet_mini);
    const original = await runModel(fixture("resnet_mini"), input);
    const sequential = await runModel((await thin(fixture("resnet_mini"), { keep: 0.5, calibration: data })).model, input);
    const once = await runModel((await thin(fixture("resnet_mini"), { keep: 0.5, calibration: data, calibrateOnce: true })).model, input);
    const sliced = await runModel((await thin(fixture("resnet_mini"), { keep: 0.5, compensate: "none" })).model, input);
    expect(relativeMaxDifference(sequential.data, original.data)).toBeLessThan(relativeMaxDifference(sliced.data, original.data));
    expect(relativeMaxDifference(once.data, original.data)).toBeLessThan(relativeMaxDifference(sliced.data, original.data));
  });
});

describe("calibration statistics", () => {
  afterEach(() => vi.restoreAllMocks());

  it("stream batch by batch into C×C statistics: memory does not grow with the calibration set", async () => {
    const seen: Array<{ gram: number; data: number }> = [];
    const original = native.accumulateGram.bind(native);
    vi.spyOn(native, "accumulateGram").mockImplementation((gram, sums, data, view, positions) => {
      seen.push({ gram: gram.length, data: data.length });
      return original(gram, sums, data, view, positions);
    });
    const samples = 2000;
    await thin(fixture("vgg_plain"), { keep: 0.5, calibration: calibration(FIXTURES.vgg_plain, samples) });
    // Every call sees one batch of one activation (≤ 64 samples × 12×16×16 values), never
    // the calibration set; every statistic is C×C for a group of at most 32 channels.
    expect(seen.length).toBeGreaterThan(samples / 64);
    expect(Math.max(...seen.map((s) => s.data))).toBeLessThanOrEqual(64 * 12 * 16 * 16);
    expect(Math.max(...seen.map((s) => s.gram))).toBeLessThanOrEqual(32 * 32);
  });

  it("the native Gram equals the plain sum of outer products, and the fit solves the normal equations", async () => {
    const channels = 5, samples = 40;
    const data = randomNormal(channels * samples, 3); // [samples, channels]: channels on the last axis
    const gram = new Float64Array(channels * channels), sums = new Float64Array(channels);
    const count = await native.accumulateGram(gram, sums, data, { outer: samples, axisLength: channels, inner: 1, offset: 0, channels, block: 1 }, 1);
    expect(count).toBe(samples);
    for (let i = 0; i < channels; i++)
      for (let j = 0; j < channels; j++) {
        let s = 0;
        for (let r = 0; r < samples; r++) s += data[r * channels + i] * data[r * channels + j];
        expect(gram[i * channels + j]).toBeCloseTo(s, 9);
      }
    const { cov, mean } = covariance(gram, sums, count);
    const kept = new Int32Array([0, 2, 4]);
    const { alpha, beta } = fitCoefficients(cov, mean, kept);
    // Residual of the fit is uncorrelated with every kept channel and has zero mean.
    for (const j of [1, 3]) {
      let bias = 0;
      const cross = [0, 0, 0];
      for (let r = 0; r < samples; r++) {
        let fit = beta[j];
        kept.forEach((s, t) => (fit += alpha[j * 3 + t] * data[r * channels + s]));
        const residual = data[r * channels + j] - fit;
        bias += residual;
        kept.forEach((s, t) => (cross[t] += residual * data[r * channels + s]));
      }
      expect(Math.abs(bias / samples)).toBeLessThan(1e-9);
      for (const c of cross) expect(Math.abs(c / samples)).toBeLessThan(1e-6);
    }
  });
});
