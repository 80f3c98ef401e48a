// Tensor contents as little-endian bytes, whatever field or file they are stored in, and
// conversion to float32 for selection. Slicing works on bytes, so every data type is sliced
// without conversion and written back in its own type.
import { onnx, dimsOf, toNumber, type TensorProto } from "./proto.js";
import { ThinError } from "../errors.js";
import type { ExternalStore } from "./external-store.js";

const T = onnx.TensorProto.DataType;

const ELEMENT_BYTES: Record<number, number> = {
  [T.FLOAT]: 4, [T.UINT8]: 1, [T.INT8]: 1, [T.UINT16]: 2, [T.INT16]: 2, [T.INT32]: 4, [T.INT64]: 8,
  [T.BOOL]: 1, [T.FLOAT16]: 2, [T.DOUBLE]: 8, [T.UINT32]: 4, [T.UINT64]: 8, [T.BFLOAT16]: 2,
};

export function dataTypeName(type: number): string {
  return (T as unknown as Record<number, string>)[type] ?? `type ${type}`;
}

export function elementBytes(tensor: TensorProto): number {
  const size = ELEMENT_BYTES[tensor.dataType ?? 0];
  if (!size) throw new ThinError(`tensor "${tensor.name}" has data type ${dataTypeName(tensor.dataType ?? 0)}, which onnx-thin cannot slice`);
  return size;
}

export function elementCount(tensor: TensorProto): number {
  return dimsOf(tensor).reduce((a, b) => a * b, 1);
}

/** Tensors stored outside the model file (see ExternalStore). */
export type ExternalBytes = ExternalStore;

export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}

/** The bytes under a typed array, as a view. */
export const bytesOf = (view: ArrayBufferView) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

/** How many elements a tensor's storage holds, without copying it (undefined: not countable). */
function storedElements(tensor: TensorProto, external: ExternalBytes): number | undefined {
  const size = ELEMENT_BYTES[tensor.dataType ?? 0];
  if (!size) return undefined;
  if (isExternal(tensor)) return (external.byteLength(tensor) ?? 0) / size;
  if (tensor.rawData && tensor.rawData.byteLength > 0) return tensor.rawData.byteLength / size;
  const type = tensor.dataType;
  if (type === T.FLOAT) return tensor.floatData?.length ?? 0;
  if (type === T.DOUBLE) return tensor.doubleData?.length ?? 0;
  if (type === T.INT64) return tensor.int64Data?.length ?? 0;
  if (type === T.UINT64 || type === T.UINT32) return tensor.uint64Data?.length ?? 0;
  return tensor.int32Data?.length ?? 0;
}

/** Refuses a tensor whose stored data does not match its dims, naming it. */
export function checkTensorSize(tensor: TensorProto, external: ExternalBytes, source: string): void {
  const dims = dimsOf(tensor);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ThinError(`${source}: tensor "${tensor.name}" has invalid dims [${dims.join(", ")}]`);
  const stored = storedElements(tensor, external);
  const expected = elementCount(tensor);
  if (stored !== undefined && stored !== expected)
    throw new ThinError(`${source}: tensor "${tensor.name}" has dims [${dims.join(", ")}] (${expected} elements) but holds ${stored}`);
}

/** The tensor's contents as little-endian bytes (a view where the storage allows it). */
export function tensorBytes(tensor: TensorProto, external: ExternalBytes): Uint8Array {
  const expected = elementCount(tensor) * elementBytes(tensor);
  const bytes = rawBytes(tensor, external);
  if (bytes.byteLength !== expected)
    throw new ThinError(`tensor "${tensor.name}" has dims [${dimsOf(tensor).join(", ")}] (${expected} bytes) but holds ${bytes.byteLength} bytes`);
  return bytes;
}

function rawBytes(tensor: TensorProto, external: ExternalBytes): Uint8Array {
  if (isExternal(tensor)) {
    const bytes = external.get(tensor);
    if (!bytes) throw new ThinError(`tensor "${tensor.name}" is stored externally but its data was not loaded`);
    return bytes;
  }
  if (tensor.rawData && tensor.rawData.byteLength > 0) return tensor.rawData;
  const type = tensor.dataType;
  if (type === T.FLOAT) return bytesOf(Float32Array.from(tensor.floatData ?? []));
  if (type === T.DOUBLE) return bytesOf(Float64Array.from(tensor.doubleData ?? []));
  if (type === T.INT64) return bytesOf(BigInt64Array.from((tensor.int64Data ?? []).map((v) => BigInt(toNumber(v as never)))));
  if (type === T.UINT64 || type === T.UINT32)
    return type === T.UINT64
      ? bytesOf(BigUint64Array.from((tensor.uint64Data ?? []).map((v) => BigInt(toNumber(v as never)))))
      : bytesOf(Uint32Array.from((tensor.uint64Data ?? []).map((v) => toNumber(v as never))));
  // int32_data holds every type of 32 bits or less, float16 and bfloat16 as their bit patterns.
  const values = tensor.int32Data ?? [];
  if (type === T.INT32) return bytesOf(Int32Array.from(values));
  if (type === T.FLOAT16 || type === T.BFLOAT16 || type === T.UINT16) return bytesOf(Uint16Array.from(values));
  if (type === T.INT16) return bytesOf(Int16Array.from(values));
  if (type === T.INT8) return bytesOf(Int8Array.from(values));
  return bytesOf(Uint8Array.from(values));
}

/** Replaces the tensor's contents and dims; the result is always stored as raw_data. */
export function setTensorBytes(tensor: TensorProto, dims: number[], bytes: Uint8Array, external: ExternalBytes): void {
  tensor.dims = dims;
  tensor.floatData = [];
  tensor.doubleData = [];
  tensor.int32Data = [];
  tensor.int64Data = [];
  tensor.uint64Data = [];
  if (isExternal(tensor)) {
    external.set(tensor, bytes);
    // An empty raw_data that is present still gets encoded, and readers would take it as
    // the data: remove the field instead.
    delete tensor.rawData;
  } else {
    tensor.rawData = bytes;
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The tensor as float32 values, for selection. A view when the bytes allow it. */
export function tensorFloats(tensor: TensorProto, external: ExternalBytes): Float32Array {
  const bytes = tensorBytes(tensor, external);
  const count = elementCount(tensor);
  const type = tensor.dataType;
  if (type === T.FLOAT) {
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    // raw_data at an odd offset in the file: copy to align (Buffer#slice would be a view).
    return new Float32Array(new Uint8Array(bytes).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (type === T.DOUBLE) for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  else if (type === T.FLOAT16) for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  else if (type === T.BFLOAT16) for (let i = 0; i < count; i++) out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0];
  else throw new ThinError(`tensor "${tensor.name}" is ${dataTypeName(type ?? 0)}; weights must be float, float16, bfloat16 or double`);
  return out;
}

/** Integer tensor values (shapes, pads, axes) as numbers. */
export function tensorIntegers(tensor: TensorProto, external: ExternalBytes): number[] {
  const bytes = tensorBytes(tensor, external);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = elementCount(tensor);
  const out: number[] = [];
  if (tensor.dataType === T.INT64) for (let i = 0; i < count; i++) out.push(Number(view.getBigInt64(i * 8, true)));
  else if (tensor.dataType === T.INT32) for (let i = 0; i < count; i++) out.push(view.getInt32(i * 4, true));
  else return Array.from(tensorFloats(tensor, external));
  return out;
}
