// Thinning every fixture end to end and running the result in ONNX Runtime.
import { describe, expect, it } from "vitest";
import { inspect, thin } from "../src/index.js";
import { readFileSync } from "node:fs";
import { onnx } from "../src/onnx/proto.js";
import { decodeModel } from "../src/onnx/read.js";
import { FIXTURES, fixture, relativeMaxDifference, runModel, sampleInput } from "./helpers/fixtures.js";

describe.each(Object.entries(FIXTURES))("%s", (name, shape) => {
  const input = sampleInput(shape);

  it("keep = 1 reproduces the original outputs", async () => {
    const original = await runModel(fixture(name), input);
    const full = await thin(fixture(name), { keep: 1 });
    const output = await runModel(full.model, input);
    expect(output.dims).toEqual(original.dims);
    expect(relativeMaxDifference(output.data, original.data)).toBeLessThanOrEqual(1e-5);
    expect(full.report.parameters.after).toBe(full.report.parameters.before);
  });

  it("keep = 0.5 runs, keeps the output shape, and has the parameters inspect and the plan predict", async () => {
    const original = await runModel(fixture(name), input);
    const half = await thin(fixture(name), { keep: 0.5 });
    const output = await runModel(half.model, input);
    expect(output.dims).toEqual(original.dims);
    expect(output.data.every(Number.isFinite)).toBe(true);
    expect(half.report.parameters.after).toBeLessThan(half.report.parameters.before);
    expect(inspect(half.model).parameters).toBe(half.report.parameters.after);
    for (const group of half.plan.groups) {
      expect(group.kept.length).toBe(group.to);
      expect([...group.kept].sort((a, b) => a - b)).toEqual(group.kept);
      if (group.frozen) expect(group.to).toBe(group.from);
      else expect(group.to).toBe(Math.max(1, Math.round(group.from * 0.5)));
    }
  });
});

describe("what stays whole", () => {
  it("the transformer layer thins its feed-forward block only", async () => {
    const { plan } = await thin(fixture("transformer_layer"), { keep: 0.5 });
    const byProducer = (name: string) => plan.groups.find((g) => g.producers.includes(name))!;
    expect(byProducer("/linear1/MatMul")).toMatchObject({ from: 64, to: 32, frozen: null });
    expect(byProducer("/self_attn/MatMul").frozen).toMatch(/not one onnx-thin knows/);
    expect(byProducer("/linear2/MatMul").frozen).toMatch(/Add with a tensor whose channels onnx-thin cannot follow/);
  });

  it("residual Adds couple their producers into one group", async () => {
    const { plan } = await thin(fixture("resnet_mini"), { keep: 0.5 });
    const stage2 = plan.groups.find((g) => g.producers.includes("/layer2/layer2.0/down/down.0/Conv"))!;
    expect(stage2.producers).toEqual(expect.arrayContaining(["/layer2/layer2.0/conv2/Conv", "/layer2/layer2.1/conv2/Conv"]));
    expect(stage2.to).toBe(8);
  });

  it("a depthwise conv passes channels through; its expand conv is the producer", async () => {
    const { plan } = await thin(fixture("mobilenet_block"), { keep: 0.5 });
    const expand = plan.groups.find((g) => g.producers.includes("/blocks/blocks.0/block/block.0/Conv"))!;
    expect(expand).toMatchObject({ from: 32, to: 16, frozen: null });
    expect(plan.groups.some((g) => g.producers.includes("/blocks/blocks.0/block/block.3/Conv"))).toBe(false);
  });

  it("InstanceNorm, PRelu, Pad (pads computed by a subgraph), Upsample, squeeze-excite and Reshape all thin", async () => {
    const { plan } = await thin(fixture("misc_ops"), { keep: 0.5 });
    expect(plan.groups.filter((g) => g.frozen).map((g) => g.producers)).toEqual([["/fc2/Gemm"]]);
    // The excite conv's output multiplies the trunk: one group for both producers.
    expect(plan.groups.find((g) => g.producers.includes("/se2/Conv"))!.producers).toEqual(["/conv3/Conv", "/se2/Conv"]);
  });

  it("a per-channel tensor of the wrong length keeps its group whole, naming the tensor", async () => {
    const model = decodeModel(readFileSync(fixture("bn_chain")), "bn_chain");
    const mean = model.graph!.initializer!.find((t) => t.name === "body.1.running_mean")!;
    mean.dims = [7];
    mean.rawData = new Uint8Array(new Float32Array(7).buffer);
    const { plan } = await thin(onnx.ModelProto.encode(model).finish(), { keep: 0.5 });
    expect(plan.groups[0].frozen).toBe('tensor "body.1.running_mean" has 7 entries on axis 0 where its channels need 8');
    expect(plan.groups[1].to).toBe(8);
  });

  it("a zero bias PyTorch shares between layers (through Identity) does not couple them", async () => {
    const input = sampleInput(FIXTURES.shared_bias);
    const { plan, model } = await thin(fixture("shared_bias"), { keep: 0.5, compensate: "none" });
    expect(plan.groups.slice(0, 3).map((g) => [g.producers.length, g.to])).toEqual([[1, 4], [1, 4], [1, 4]]);
    expect((await runModel(model, input)).dims).toEqual([2, 4]);
    // With β folded into those biases, each layer's copy takes its own values.
    const calibration = { data: sampleInput([64, 3, 16, 16], 3).data as Float32Array, shape: [64, 3, 16, 16] };
    const data = await thin(fixture("shared_bias"), { keep: 0.5, calibration });
    const original = await runModel(fixture("shared_bias"), input);
    const sliced = await runModel(model, input);
    const folded = await runModel(data.model, input);
    expect(relativeMaxDifference(folded.data, original.data)).toBeLessThan(relativeMaxDifference(sliced.data, original.data));
  });

  it("NaN or infinite weights are refused, naming the tensor, whatever the method", async () => {
    const model = decodeModel(readFileSync(fixture("vgg_plain")), "vgg_plain");
    const weight = model.graph!.initializer!.find((t) => t.name === "features.2.weight")!;
    const values = new Float32Array(new Uint8Array(weight.rawData!).buffer);
    values[100] = NaN;
    weight.rawData = new Uint8Array(values.buffer);
    const bytes = onnx.ModelProto.encode(model).finish();
    for (const method of ["somp", "l1", "random"] as const)
      await expect(thin(bytes, { keep: 0.5, method })).rejects.toThrow('tensor "features.2.weight" holds NaN; weights must be finite');
  });

  it("graph outputs are reported as the reason a group is kept whole", async () => {
    const { plan } = await thin(fixture("mlp"), { keep: 0.5 });
    expect(plan.groups.at(-1)!.frozen).toBe('reaches graph output "output"');
  });
});

describe("methods and widths", () => {
  it("l1 and random produce valid models; random is reproducible by seed", async () => {
    const input = sampleInput(FIXTURES.vgg_plain);
    for (const method of ["l1", "random"] as const) {
      const result = await thin(fixture("vgg_plain"), { keep: 0.5, method });
      expect((await runModel(result.model, input)).dims).toEqual([2, 10]);
    }
    const kept = async (seed: number) => (await thin(fixture("vgg_plain"), { keep: 0.5, method: "random", seed })).plan.groups.map((g) => g.kept);
    expect(await kept(7)).toEqual(await kept(7));
    expect(await kept(7)).not.toEqual(await kept(8));
  });

  it("--width sets one layer by node or weight name, --multiple-of rounds up", async () => {
    const byNode = await thin(fixture("vgg_plain"), { keep: 0.5, widths: { "/features/features.2/Conv": 3 } });
    expect(byNode.plan.groups[1].to).toBe(3);
    const byWeight = await thin(fixture("vgg_plain"), { keep: 0.5, widths: { "features.2.weight": 5 } });
    expect(byWeight.plan.groups[1].to).toBe(5);
    const rounded = await thin(fixture("vgg_plain"), { keep: 0.3, multipleOf: 4 });
    expect(rounded.plan.groups.slice(0, 5).map((g) => g.to)).toEqual([4, 4, 8, 12, 8]);
    expect((await runModel(rounded.model, sampleInput(FIXTURES.vgg_plain))).dims).toEqual([2, 10]);
  });

  it("p = 1 selects with Tropp's aggregation and still yields a valid model", async () => {
    const result = await thin(fixture("resnet_mini"), { keep: 0.5, p: 1 });
    expect(result.plan.p).toBe(1);
    expect((await runModel(result.model, sampleInput(FIXTURES.resnet_mini))).dims).toEqual([2, 10]);
  });
});
