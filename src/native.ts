// The only module that loads the native addon. Everything else imports from here.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { NativeBinding } from "../binding.js";

const require = createRequire(import.meta.url);

/** The package root: two levels above dist/src/native.js, one above src/native.ts. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("onnx-thin: cannot find the package root above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/**
 * Candidates in order: an explicit override (ONNX_THIN_ADDON, used by CI to test the
 * portable build), a local cmake-js build, then the prebuilt binary shipped in the npm
 * package. An installed package has one or the other; in a checkout the fresh build wins
 * over a prebuild left by `npm pack`.
 */
function addonCandidates(root: string): string[] {
  const explicit = process.env.ONNX_THIN_ADDON;
  if (explicit) return [resolve(explicit)];
  return [
    join(root, "build", "Release", "onnx_thin.node"),
    join(root, "prebuilds", `${process.platform}-${process.arch}`, "onnx_thin.node"),
  ];
}

function loadBinding(): NativeBinding {
  // OpenBLAS's idle threads spin (sched_yield) for ~2²⁸ cycles after every call, and on a
  // small machine they then steal the cores from SOMP's selection threads: measured on
  // 2048×8192, k = 1024, selection took 0.60 s with the default and 0.37 s with 2⁴.
  // OpenBLAS reads this once, when the addon loads it; a user's own setting wins.
  process.env.OPENBLAS_THREAD_TIMEOUT ??= "4";
  const root = packageRoot();
  const candidates = addonCandidates(root);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      "onnx-thin: the native addon is not built. Looked for:\n  " +
        candidates.join("\n  ") +
        "\nBuild it with `npx cmake-js compile` in " +
        root +
        " (needs cmake, a C++17 compiler and, for full speed, libopenblas-dev).",
    );
  }
  return require(found) as NativeBinding;
}

export const native: NativeBinding = loadBinding();
