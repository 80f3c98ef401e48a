import { describe, expect, it } from "vitest";
import { somp, sompSync, sompFromGram, leastSquaresCoefficients } from "../src/index.js";

const w = new Float32Array(12);
w.forEach((_, i) => (w[i] = Math.cos(i)));

describe("argument validation names the argument", () => {
  const cases: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
    ["weights not a Float32Array", () => sompSync(new Float64Array(12) as never, 3, 4, 2), TypeError, /weights must be a Float32Array/],
    ["weights a plain array", () => sompSync([1, 2, 3] as never, 1, 3, 1), TypeError, /weights/],
    ["n not a number", () => sompSync(w, "3" as never, 4, 2), TypeError, /n must be a number/],
    ["n not an integer", () => sompSync(w, 3.5, 4, 2), RangeError, /n must be an integer/],
    ["m zero", () => sompSync(w, 3, 0, 2), RangeError, /m must be between 1/],
    ["k zero", () => sompSync(w, 3, 4, 0), RangeError, /k must be between 1/],
    ["k negative", () => sompSync(w, 3, 4, -1), RangeError, /k must be between 1/],
    ["k above n", () => sompSync(w, 3, 4, 4), RangeError, /k must be at most n = 3/],
    ["n NaN", () => sompSync(w, NaN, 4, 2), RangeError, /n must be an integer/],
    ["m Infinity", () => sompSync(w, 3, Infinity, 2), RangeError, /m must be an integer/],
    ["length not n·m", () => sompSync(w, 3, 5, 2), RangeError, /weights has length 12 but n·m = 15/],
    ["p not 1 or 2", () => sompSync(w, 3, 4, 2, { p: 3 as never }), RangeError, /options\.p must be 1 or 2/],
    ["options not an object", () => sompSync(w, 3, 4, 2, 5 as never), TypeError, /options must be an object/],
    ["columns not an Int32Array", () => sompSync(w, 3, 4, 2, { columns: [0, 1] as never }), TypeError, /options\.columns must be an Int32Array/],
    ["a column out of range", () => sompSync(w, 3, 4, 2, { columns: new Int32Array([0, 4]) }), RangeError, /options\.columns\[1\] = 4 is outside 0\.\.3/],
    ["no columns", () => sompSync(w, 3, 4, 2, { columns: new Int32Array(0) }), RangeError, /options\.columns must not be empty/],
    ["coefficients not boolean", () => sompSync(w, 3, 4, 2, { coefficients: 1 as never }), TypeError, /options\.coefficients/],
  ];
  for (const [label, call, type, message] of cases)
    it(label, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    });

  it("NaN and Inf in the weights are rejected with their position", async () => {
    const bad = Float32Array.from(w);
    bad[7] = NaN;
    expect(() => sompSync(bad, 3, 4, 2)).toThrow(/weights\[7\] is NaN/);
    bad[7] = 1;
    bad[2] = -Infinity;
    await expect(somp(bad, 3, 4, 2)).rejects.toThrow(RangeError);
    await expect(somp(bad, 3, 4, 2)).rejects.toThrow(/weights\[2\] is infinite/);
  });

  it("the async form rejects bad sizes with the same RangeError", async () => {
    await expect(somp(w, 3, 4, 9)).rejects.toThrow(RangeError);
    await expect(somp(w, 3, 4, 9)).rejects.toThrow(/k must be at most n/);
  });

  it("a Gram that is not symmetric or has a negative diagonal is refused", async () => {
    await expect(sompFromGram(new Float64Array([1, 2, 0, 1]), 2, 1)).rejects.toThrow(/not symmetric at \(0, 1\)/);
    await expect(sompFromGram(new Float64Array([-1, 0, 0, 1]), 2, 1)).rejects.toThrow(/negative diagonal entry at 0/);
    await expect(sompFromGram(new Float64Array(3), 2, 1)).rejects.toThrow(/gram has length 3 but n·n = 4/);
  });

  it("coefficients refuse out-of-range and repeated rows", async () => {
    await expect(leastSquaresCoefficients(w, 3, 4, new Int32Array([0, 3]))).rejects.toThrow(/selected row 3 is outside 0..2/);
    await expect(leastSquaresCoefficients(w, 3, 4, new Int32Array([1, 1]))).rejects.toThrow(/selected row 1 appears twice/);
    await expect(leastSquaresCoefficients(w, 3, 4, [0] as never)).rejects.toThrow(/selected must be an Int32Array/);
  });
});
