/**
 * @file Copies the non-TypeScript files that modules load at run time into dist/, next to their
 * compiled modules: today the committed WebAssembly kernels. `tsc` copies only what it emits,
 * and src/backend/wasm/kernels.ts finds kiln_kernels{,_relaxed}.wasm relative to its own URL, so dist/ must
 * mirror src/'s layout. Run after `tsc -p tsconfig.build.json`: node scripts/copy-assets.mjs
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const assets = ["codegen/kernels/kiln_kernels.wasm", "codegen/kernels/kiln_kernels_relaxed.wasm"];

for (const rel of assets) {
  const from = join(root, "src", rel);
  const to = join(root, "dist", rel);
  if (!existsSync(from)) {
    console.error(`copy-assets: ${from} is missing; run npm run build:kernels or restore it from git`);
    process.exit(1);
  }
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  console.log(`copy-assets: src/${rel} -> dist/${rel}`);
}
