// The committed fixtures (made by test/fixtures/generate.py) and running them in ONNX Runtime.
import * as ort from "onnxruntime-node";
import { fileURLToPath } from "node:url";

// Corrupted models in the fuzz test are expected to fail to load; keep the runtime quiet.
ort.env.logLevel = "fatal";

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}.onnx`, import.meta.url));

export const FIXTURES: Record<string, number[]> = {
  vgg_plain: [2, 3, 16, 16],
  vgg_external: [2, 3, 16, 16],
  bn_chain: [2, 3, 16, 16],
  resnet_mini: [2, 3, 16, 16],
  mobilenet_block: [2, 3, 16, 16],
  squeeze_fire: [2, 3, 16, 16],
  transformer_layer: [2, 6, 32],
  mlp: [2, 20],
  misc_ops: [2, 3, 16, 16],
  shared_bias: [2, 3, 16, 16],
};

export function sampleInput(shape: number[], seed = 1): ort.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new ort.Tensor("float32", Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + seed)), shape);
}

export async function runModel(model: Uint8Array | string, input: ort.Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(model as never);
  const outputs = await session.run({ [session.inputNames[0]]: input });
  const output = outputs[session.outputNames[0]];
  return { data: output.data as Float32Array, dims: output.dims };
}

export function relativeMaxDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}
