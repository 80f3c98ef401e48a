// Reading an ONNX model: decode without copying weight bytes (raw_data fields stay views
// into the file's buffer), and load external-data tensors relative to the model file.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { onnx, type ModelProto, type TensorProto } from "./proto.js";
import { checkTensorSize, isExternal } from "./tensor.js";
import { ExternalStore } from "./external-store.js";
import { ThinError } from "../errors.js";

export interface LoadedModel {
  model: ModelProto;
  /** The file path, or "<bytes>" when the model came from memory: used in messages. */
  source: string;
  /** The tensors stored in external files, read when needed. */
  external: ExternalStore;
  /** True when some tensor was stored externally (the writer then does the same). */
  usesExternalData: boolean;
}

export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  // A Buffer over the same memory makes protobufjs hand out bytes fields as views.
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(buffer);
  } catch (error) {
    throw new ThinError(`${source}: not a valid ONNX model (${(error as Error).message}); is the file truncated or of another format?`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0)
    throw new ThinError(`${source}: not a valid ONNX model (no graph or no nodes)`);
  if ((model.opsetImport ?? []).length === 0) throw new ThinError(`${source}: not a valid ONNX model (no opset_import)`);
  return model;
}

/** Every tensor in the graph, including the values of Constant nodes. */
export function allTensors(model: ModelProto): TensorProto[] {
  const tensors = [...(model.graph?.initializer ?? [])];
  for (const node of model.graph?.node ?? [])
    for (const a of node.attribute ?? []) if (a.t) tensors.push(a.t);
  return tensors;
}

function externalEntry(tensor: TensorProto, key: string): string | undefined {
  return tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

function locateExternal(model: ModelProto, source: string, baseDir: string | undefined): ExternalStore {
  const external = new ExternalStore();
  for (const tensor of allTensors(model)) {
    if (!isExternal(tensor)) continue;
    const location = externalEntry(tensor, "location");
    if (!location) throw new ThinError(`${source}: tensor "${tensor.name}" is external but names no location`);
    if (!baseDir) throw new ThinError(`${source}: tensor "${tensor.name}" is stored in external file "${location}"; pass the model as a file path so it can be found`);
    const path = isAbsolute(location) ? location : resolve(baseDir, location);
    if (!existsSync(path)) throw new ThinError(`${source}: external data file "${location}" of tensor "${tensor.name}" not found (looked for ${path})`);
    const offset = Number(externalEntry(tensor, "offset") ?? 0);
    const fileSize = statSync(path).size;
    const length = Number(externalEntry(tensor, "length") ?? fileSize - offset);
    if (!(offset >= 0 && length >= 0 && offset + length <= fileSize))
      throw new ThinError(`${source}: tensor "${tensor.name}" asks for bytes ${offset}..${offset + length} of "${location}", which has ${fileSize}`);
    external.addRange(tensor, path, offset, length);
  }
  return external;
}

export function readModel(input: Uint8Array | string): LoadedModel {
  let bytes: Uint8Array;
  let source = "<bytes>";
  let baseDir: string | undefined;
  if (typeof input === "string") {
    source = input;
    if (!existsSync(input)) throw new ThinError(`${input}: no such file`);
    if (statSync(input).isDirectory()) throw new ThinError(`${input}: is a directory, not an ONNX file`);
    bytes = readFileSync(input);
    baseDir = dirname(resolve(input));
  } else {
    bytes = input;
  }
  const model = decodeModel(bytes, source);
  const external = locateExternal(model, source, baseDir);
  for (const tensor of allTensors(model)) checkTensorSize(tensor, external, source);
  return { model, source, external, usesExternalData: external.size > 0 };
}

