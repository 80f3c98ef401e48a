// ONNX Runtime, loaded only when a model must actually run (--verify, calibration), so
// thinning itself never needs it.
import type * as Ort from "onnxruntime-node";
import { ThinError } from "../errors.js";

let loaded: typeof Ort | undefined;

export async function onnxRuntime(): Promise<typeof Ort> {
  if (loaded) return loaded;
  try {
    loaded = (await import("onnxruntime-node")) as typeof Ort;
  } catch (error) {
    throw new ThinError(
      `--verify and calibration run models in ONNX Runtime, which is not installed (${(error as Error).message.split("\n")[0]}); ` +
        "add it with: npm install onnxruntime-node --onnxruntime-node-install=skip (its CPU binaries are in the npm package; the flag skips a download from outside the registry)",
    );
  }
  return loaded;
}

/** Runs a model on a batch-first float32 array in batches; calls back with each batch's outputs. */
export async function runInBatches(
  model: Uint8Array, inputs: { data: Float32Array; shape: number[] }, outputNames: string[] | undefined, batchSize: number,
  onBatch: (outputs: Record<string, Ort.Tensor>, first: number, count: number) => Promise<void> | void,
): Promise<void> {
  const ort = await onnxRuntime();
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (error) {
    throw new ThinError(`ONNX Runtime cannot load the model: ${(error as Error).message}`);
  }
  const perSample = inputs.shape.slice(1).reduce((a, b) => a * b, 1);
  const total = inputs.shape[0];
  for (let first = 0; first < total; first += batchSize) {
    const count = Math.min(batchSize, total - first);
    // A copy, not a subarray: the runtime reads a view from the start of its buffer.
    const tensor = new ort.Tensor("float32", inputs.data.slice(first * perSample, (first + count) * perSample), [count, ...inputs.shape.slice(1)]);
    let outputs: Record<string, Ort.Tensor>;
    try {
      outputs = await session.run({ [session.inputNames[0]]: tensor }, outputNames ?? session.outputNames);
    } catch (error) {
      throw new ThinError(`ONNX Runtime failed on inputs of shape [${tensor.dims.join(", ")}]: ${(error as Error).message}`);
    }
    await onBatch(outputs, first, count);
  }
  await session.release();
}
