// Encoding a model and writing files atomically (a temporary file renamed into place), so
// an interrupted run never leaves a partial output and an existing file is only replaced
// with --force.
import { closeSync, existsSync, ftruncateSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { onnx, type ModelProto, type TensorProto } from "./proto.js";
import { isExternal, type ExternalBytes } from "./tensor.js";
import { allTensors } from "./read.js";
import { ThinError } from "../errors.js";

export interface EncodedModel {
  model: Uint8Array;
  /** Weights for an external-data model: the file name the model refers to, and where
   *  each tensor goes in it (written from the store, a tensor at a time). */
  externalData?: { fileName: string; size: number; tensors: Array<{ tensor: TensorProto; offset: number }>; store: ExternalBytes };
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
  // Offsets from the lengths alone: no tensor is read until the data file is written.
  let size = 0;
  const tensors = externalTensors.map((tensor) => {
    const offset = Math.ceil(size / ALIGNMENT) * ALIGNMENT;
    const length = external.byteLength(tensor)!;
    size = offset + length;
    tensor.externalData = [
      { key: "location", value: externalFileName },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ];
    return { tensor, offset };
  });
  return { model: onnx.ModelProto.encode(model).finish(), externalData: { fileName: externalFileName, size, tensors, store: external } };
}

/** The external-data file name used beside an output model: "thin.onnx" → "thin.onnx.data". */
export function externalFileNameFor(outputPath: string): string {
  return basename(outputPath) + ".data";
}

/** Writes a file through a temporary one renamed into place; `fill` writes the content. */
function writeAtomicWith(path: string, fill: (temporary: string) => void): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fill(temporary);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new ThinError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

export function writeAtomic(path: string, bytes: Uint8Array): void {
  writeAtomicWith(path, (temporary) => writeFileSync(temporary, bytes));
}

/** The external-data file, streamed from the store a tensor at a time. */
function writeExternalData(path: string, data: NonNullable<EncodedModel["externalData"]>): void {
  writeAtomicWith(path, (temporary) => {
    const fd = openSync(temporary, "w");
    try {
      ftruncateSync(fd, data.size);
      for (const { tensor, offset } of data.tensors) data.store.writeTo(tensor, fd, offset);
    } finally {
      closeSync(fd);
    }
  });
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
    writeExternalData(dataPath, encoded.externalData);
  }
  writeAtomic(path, encoded.model);
}

