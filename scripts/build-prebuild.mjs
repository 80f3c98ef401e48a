// Builds the addon shipped inside the npm package (run by `npm pack` through prepack):
// OpenBLAS linked statically, so users need no compiler, CMake or system BLAS.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve("cmake-js/package.json")), "bin", "cmake-js");
rmSync(join(root, "build-prebuild"), { recursive: true, force: true });
execFileSync(process.execPath, [cmakeJs, "compile", "--log-level", "error", "-O", "build-prebuild", "--CDONNX_THIN_STATIC_BLAS=ON"], { cwd: root, stdio: "inherit" });
const target = join(root, "prebuilds", `${process.platform}-${process.arch}`);
mkdirSync(target, { recursive: true });
copyFileSync(join(root, "build-prebuild", "Release", "onnx_thin.node"), join(target, "onnx_thin.node"));
// A prebuild that still needs a shared BLAS would fail on users' machines: refuse it here.
if (process.platform === "linux") {
  const libraries = execFileSync("ldd", [join(target, "onnx_thin.node")], { encoding: "utf8" });
  if (/blas|gfortran/i.test(libraries)) throw new Error("the prebuilt addon links a shared BLAS:\n" + libraries);
}
console.log(`prebuilt addon: ${join(target, "onnx_thin.node")}`);
