// npm install: use the prebuilt addon when one matches this platform; otherwise build from
// source with cmake-js, and say what is missing when that is not possible.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prebuild = join(root, "prebuilds", `${process.platform}-${process.arch}`, "onnx_thin.node");
if (existsSync(prebuild)) process.exit(0);

let cmakeJs;
try {
  cmakeJs = join(dirname(createRequire(import.meta.url).resolve("cmake-js/package.json")), "bin", "cmake-js");
} catch {
  cmakeJs = undefined;
}
const build = cmakeJs
  ? spawnSync(process.execPath, [cmakeJs, "compile", "--log-level", "error"], { cwd: root, stdio: "inherit" })
  : { status: 1 };
if (build.status !== 0) {
  console.error(
    `onnx-thin: no prebuilt addon for ${process.platform}-${process.arch}, and building it from source failed.\n` +
      "  It needs CMake, a C++17 compiler and, for full speed, OpenBLAS (Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev).",
  );
  process.exit(1);
}
