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
  let written = 0;
  const walk = (axis: number, offset: number) => {
    const indices = keep[axis];
    const count = indices ? indices.length : dims[axis];
    for (let i = 0; i < count; i++) {
      const at = offset + (indices ? indices[i] : i) * strides[axis];
      if (axis === last) {
        out.set(bytes.subarray(at, at + run), written);
        written += run;
      } else walk(axis + 1, at);
    }
  };
  walk(0, 0);
  return { bytes: out, dims: outDims };
}

export const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
