// onnx-thin's public API.
export { somp, sompSync, sompFromGram, leastSquaresCoefficients, blasBackend } from "./somp.js";
export type { SompOptions, SompResult } from "./somp.js";
