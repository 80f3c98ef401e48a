// Encoding a model and writing files atomically (a temporary file renamed into place), so
// an interrupted run never leaves a partial output and an existing file is only replaced
// with --force.
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { onnx, type ModelProto } from "./proto.js";
import { isExternal, type ExternalBytes } from "./tensor.js";
import { allTensors } from "./read.js";
import { ThinError } from "../errors.js";

export interface EncodedModel {
  model: Uint8Array;
  /** Weights for an external-data model: the file name the model refers to, and its bytes. */
  externalData?: { fileName: string; bytes: Uint8Array };
}

const ALIGNMENT = 64;

/**
 * Encodes the model. With externalFileName, tensors that were external stay external and
 * are packed into one new file of that name; otherwise their bytes are inlined.
 */
export function encodeModel(model: ModelProto, external: ExternalBytes, externalFileName?: string): EncodedModel {
  const externalTensors = allTensors(model).filter(isExternal);
  if (externalTensors.length === 0) return { model: onnx.ModelProto.encode(model).finish() };
  if (!externalFileName) {
    for (const tensor of externalTensors) {
      tensor.rawData = external.get(tensor)!;
      tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
      tensor.externalData = [];
    }
    return { model: onnx.ModelProto.encode(model).finish() };
  }
  let size = 0;
  const offsets = externalTensors.map((tensor) => {
    const offset = Math.ceil(size / ALIGNMENT) * ALIGNMENT;
    size = offset + external.get(tensor)!.byteLength;
    return offset;
  });
  const data = new Uint8Array(size);
  externalTensors.forEach((tensor, i) => {
    const bytes = external.get(tensor)!;
    data.set(bytes, offsets[i]);
    tensor.externalData = [
      { key: "location", value: externalFileName },
      { key: "offset", value: String(offsets[i]) },
      { key: "length", value: String(bytes.byteLength) },
    ];
  });
  return { model: onnx.ModelProto.encode(model).finish(), externalData: { fileName: externalFileName, bytes: data } };
}

/** The external-data file name used beside an output model: "thin.onnx" → "thin.onnx.data". */
export function externalFileNameFor(outputPath: string): string {
  return basename(outputPath) + ".data";
}

export function writeAtomic(path: string, bytes: Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new ThinError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

export interface OutputOptions {
  force?: boolean;
  /** Paths that must never be written (the input and its external data). */
  protectedPaths?: string[];
}

export function checkOutputPath(path: string, options: OutputOptions): void {
  const target = resolve(path);
  if ((options.protectedPaths ?? []).some((p) => resolve(p) === target))
    throw new ThinError(`${path}: the output would overwrite the input; choose another output path`);
  if (existsSync(target) && !options.force) throw new ThinError(`${path}: already exists (use --force to overwrite)`);
  if (!existsSync(dirname(target))) throw new ThinError(`${path}: directory ${dirname(target)} does not exist`);
}

/** Writes the model (and its external data first, so the model never points at nothing). */
export function writeModelFiles(path: string, encoded: EncodedModel, options: OutputOptions): void {
  checkOutputPath(path, options);
  if (encoded.externalData) {
    const dataPath = join(dirname(resolve(path)), encoded.externalData.fileName);
    checkOutputPath(dataPath, options);
    writeAtomic(dataPath, encoded.externalData.bytes);
  }
  writeAtomic(path, encoded.model);
}

