// Gathering entries of a tensor along several axes at once, on raw bytes, so one routine
// slices weights of every data type and builds selection matrices. Runs of the trailing
// unrestricted axes are copied whole.

export interface GatheredBytes {
  bytes: Uint8Array;
  dims: number[];
}

/** keep[a]: the indices kept along axis a, in output order, or undefined for all of them. */
export function gatherAxes(bytes: Uint8Array, dims: number[], elementBytes: number, keep: (ArrayLike<number> | undefined)[]): GatheredBytes {
  const outDims = dims.map((d, a) => (keep[a] ? keep[a]!.length : d));
  let last = -1;
  for (let a = 0; a < dims.length; a++) if (keep[a]) last = a;
  if (last < 0) return { bytes, dims: outDims };
  const strides = new Array<number>(dims.length);
  let stride = elementBytes;
  for (let a = dims.length - 1; a >= 0; a--) {
    strides[a] = stride;
    stride *= dims[a];
  }
  const run = last + 1 < dims.length ? strides[last] : elementBytes;
  const out = new Uint8Array(outDims.reduce((x, y) => x * y, 1) * elementBytes);
  // Runs of one 4-byte element (a weight's input axis cut channel by channel) are copied as
  // words: a subarray and a set per element took seconds on VGG-16's fc7.
  const words = run === 4 && bytes.byteOffset % 4 === 0 ? { from: new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2), to: new Uint32Array(out.buffer) } : undefined;
  let written = 0;
  const walk = (axis: number, offset: number) => {
    const indices = keep[axis];
    const count = indices ? indices.length : dims[axis];
    for (let i = 0; i < count; i++) {
      const at = offset + (indices ? indices[i] : i) * strides[axis];
      if (axis !== last) walk(axis + 1, at);
      else if (words) words.to[written >> 2] = words.from[at >> 2];
      else if (run <= 16) for (let b = 0; b < run; b++) out[written + b] = bytes[at + b];
      else out.set(bytes.subarray(at, at + run), written);
      if (axis === last) written += run;
    }
  };
  walk(0, 0);
  return { bytes: out, dims: outDims };
}

export const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
