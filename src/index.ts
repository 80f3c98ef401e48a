// onnx-thin's public API.
export { somp, sompSync, sompFromGram, leastSquaresCoefficients, blasBackend } from "./somp.js";
export type { SompOptions, SompResult } from "./somp.js";
export { thin } from "./thin.js";
export type { Plan, PlanGroup, ThinReport, ThinResult } from "./thin.js";
export type { ThinOptions } from "./options.js";
export { inspect } from "./inspect.js";
export type { InspectResult, InspectGroup, InspectLayer } from "./inspect.js";
export { verifyModels as verify } from "./verify.js";
export type { VerifyOptions, VerifyReport } from "./verify.js";
export { thinBatch } from "./batch/batch.js";
export type { BatchOptions, BatchResult } from "./batch/batch.js";
export { ThinError } from "./errors.js";
