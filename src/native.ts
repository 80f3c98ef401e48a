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
 * portable build), a prebuilt binary for this platform, then the local cmake-js build.
 */
function addonCandidates(root: string): string[] {
  const explicit = process.env.ONNX_THIN_ADDON;
  if (explicit) return [resolve(explicit)];
  return [
    join(root, "prebuilds", `${process.platform}-${process.arch}`, "onnx_thin.node"),
    join(root, "build", "Release", "onnx_thin.node"),
  ];
}

function loadBinding(): NativeBinding {
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
