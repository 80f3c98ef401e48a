import { expect, it } from "vitest";
import { somp } from "../src/index.js";
import { randomNormal } from "./ref/random.js";

it("somp runs on a worker thread: timers keep firing while it computes", async () => {
  const n = 1200, m = 3000;
  const w = randomNormal(n * m, 42);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  let settled = false;
  const pending = somp(w, n, m, 900).then((r) => {
    settled = true;
    return r;
  });
  // The call itself returned at once: nothing has been computed on this thread yet.
  expect(settled).toBe(false);
  const result = await pending;
  clearInterval(timer);
  const seconds = result.gramSeconds + result.selectSeconds;
  expect(result.indices.length).toBe(900);
  // At 1 ms per tick a blocked loop would show at most a tick or two; require a fair share.
  expect(seconds).toBeGreaterThan(0.05);
  expect(ticks).toBeGreaterThan(Math.min(20, (seconds * 1000) / 10));
});
