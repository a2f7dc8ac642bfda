/**
 * @file Lint: enforces DESIGN.md's import direction between the layers of src/, and a few
 * project rules that the type checker cannot see. Prints every violation; exits 1 if any.
 *
 * Run: npm run lint
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const src = join(root, "src");

/** Which layers each layer may import (itself included). Imports point down only. */
const ALLOWED: Record<string, readonly string[]> = {
  ir: ["ir"],
  codegen: ["codegen", "ir"],
  backend: ["backend", "codegen", "ir"],
  trace: ["trace", "backend", "ir"],
  numpy: ["numpy", "trace", "ir"],
  // jacfwd/jacrev/hessian batch with vmap, so autodiff may use passes; never the reverse.
  autodiff: ["autodiff", "passes", "numpy", "trace", "ir"],
  passes: ["passes", "numpy", "trace", "ir", "codegen", "backend"],
  io: ["io", "numpy", "trace", "ir"],
  index: ["index", "ir", "codegen", "backend", "trace", "numpy", "autodiff", "passes", "io"],
  optim: ["optim", "index"],
  nn: ["nn", "optim", "index", "io"],
};

function layerOf(file: string): string {
  const rel = relative(src, file);
  if (!rel.includes("/")) return "index";
  return rel.split("/")[0];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const problems: string[] = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

for (const file of walk(src)) {
  if (file.endsWith(".test.ts")) continue;
  const text = readFileSync(file, "utf8");
  const from = layerOf(file);
  const allowed = ALLOWED[from];
  if (!allowed) {
    problems.push(`${relative(root, file)}: folder '${from}' is not a layer of DESIGN.md; add it to scripts/lint.ts`);
    continue;
  }
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src)) {
      problems.push(`${relative(root, file)}: imports '${spec}' from outside src/`);
      continue;
    }
    const to = layerOf(target.replace(/\.js$/, ".ts"));
    if (!allowed.includes(to)) {
      problems.push(`${relative(root, file)}: layer '${from}' may not import layer '${to}' ('${spec}'); imports point down only (DESIGN.md)`);
    }
  }
  if (!/^\/\*\*[\s\S]*?@file/.test(text)) problems.push(`${relative(root, file)}: missing the /** @file ... */ header`);
}

if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`\nlint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log("lint: import boundaries and file headers OK");
