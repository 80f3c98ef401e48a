// Sizes where the native row form runs threaded, flushes blocks of pending updates and
// refreshes cancelled norms: checked against the plain dense Gram form.
import { describe, expect, it } from "vitest";
import { somp, sompFromGram } from "../src/index.js";
import { gramOf, referenceGramSomp } from "./ref/somp-gram-ref.js";
import { randomNormal } from "./ref/random.js";

describe("large matrices: native row and column forms equal the dense Gram reference", () => {
  const n = 1600, m = 120, k = 90;
  const w = randomNormal(n * m, 77);
  // Near-duplicates: after one is taken the other's norm collapses by ~10⁶ in one step,
  // which must trigger an exact refresh rather than trust a cancelled downdate.
  for (let c = 0; c < m; c++) w[901 * m + c] = w[17 * m + c] * (1 + 1e-4 * Math.sin(c));
  const gram = gramOf(w, n, m);

  for (const p of [1, 2] as const)
    it(`p = ${p}`, async () => {
      const expected = referenceGramSomp(gram, n, k, p);
      const fromGram = await sompFromGram(gram, n, k, { p });
      expect(fromGram.form).toBe("row");
      expect(Array.from(fromGram.indices)).toEqual(expected);
      const fromWeights = await somp(w, n, m, k, { p });
      expect(fromWeights.form).toBe(p === 2 ? "column" : "row");
      expect(Array.from(fromWeights.indices)).toEqual(expected);
    });
});
