// NumPy .npy files (format versions 1–3, little-endian, C order): calibration and test
// inputs as float32, labels as integers.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ThinError } from "../errors.js";

export interface NpyArray {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
  shape: number[];
}

export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== "NUMPY") throw new ThinError(`${source}: not a .npy file`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new ThinError(`${source}: unreadable .npy header`);
  if (fortran) throw new ThinError(`${source}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bodyStart = bytes.byteOffset + start + headerLength;
  const body = { byteLength: bytes.byteLength - start - headerLength };
  const types: Record<string, [new (b: ArrayBuffer) => NpyArray["data"], number]> = {
    "<f4": [Float32Array, 4], "<f8": [Float64Array, 8], "<i4": [Int32Array, 4], "<i8": [BigInt64Array, 8], "|u1": [Uint8Array, 1],
  };
  const type = types[descr];
  if (!type) throw new ThinError(`${source}: dtype ${descr} is not supported (use float32, float64, int32, int64 or uint8)`);
  if (body.byteLength < count * type[1]) throw new ThinError(`${source}: holds ${body.byteLength} bytes of data, shape [${shape.join(", ")}] needs ${count * type[1]}`);
  // ArrayBuffer#slice copies (Buffer#slice would not), and aligns the typed array.
  return { data: new type[0](bytes.buffer.slice(bodyStart, bodyStart + count * type[1]) as ArrayBuffer), shape };
}

export function readNpy(path: string): NpyArray {
  if (!existsSync(path)) throw new ThinError(`${path}: no such file`);
  return parseNpy(readFileSync(path), path);
}

/** Inputs as float32 with the batch first: one .npy file, or a folder of them (concatenated). */
export function readInputs(path: string): { data: Float32Array; shape: number[] } {
  if (!existsSync(path)) throw new ThinError(`${path}: no such file or folder`);
  const files = statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.endsWith(".npy")).sort().map((f) => join(path, f)) : [path];
  if (files.length === 0) throw new ThinError(`${path}: the folder holds no .npy files`);
  const arrays = files.map((f) => {
    const array = readNpy(f);
    if (!(array.data instanceof Float32Array || array.data instanceof Float64Array)) throw new ThinError(`${f}: inputs must be float32`);
    return { data: Float32Array.from(array.data), shape: array.shape };
  });
  const rest = arrays[0].shape.slice(1).join(",");
  const bad = arrays.find((a) => a.shape.slice(1).join(",") !== rest);
  if (bad) throw new ThinError(`${path}: the files' shapes differ after the batch axis`);
  const data = new Float32Array(arrays.reduce((s, a) => s + a.data.length, 0));
  let at = 0;
  for (const a of arrays) {
    data.set(a.data, at);
    at += a.data.length;
  }
  return { data, shape: [arrays.reduce((s, a) => s + a.shape[0], 0), ...arrays[0].shape.slice(1)] };
}

/** Labels from a .json array or an integer .npy. */
export function readLabels(path: string): number[] {
  if (!existsSync(path)) throw new ThinError(`${path}: no such file`);
  if (path.endsWith(".json")) {
    const labels = JSON.parse(readFileSync(path, "utf8"));
    if (!Array.isArray(labels) || !labels.every(Number.isInteger)) throw new ThinError(`${path}: expected a JSON array of integers`);
    return labels;
  }
  const array = readNpy(path);
  return Array.from(array.data as ArrayLike<number | bigint>, Number);
}
