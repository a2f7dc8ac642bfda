/**
 * @file The cold-start row: fresh `node` processes (bench/cold-child.mjs), each timed from
 * process start to its first matmul result. Every library is loaded as plain JavaScript with no
 * loader hooks: Kiln from a per-file esbuild transpile of src/ (the layout `npm run build`
 * emits, without type checking), the peers from their published bundles in node_modules.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { Result } from "./table.js";
import { ROOT, progress, runChildProcess } from "./spawn.js";

const OUT = join(ROOT, "node_modules", ".cache", "kiln-bench");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * Transpiles src/ file by file into node_modules/.cache/kiln-bench (so fp-ts and immer still
 * resolve from the repository's node_modules), copying .wasm and .json assets alongside.
 * Returns the path of the built index.js.
 */
export async function buildKiln(): Promise<string> {
  const esbuild = await import("esbuild");
  const src = join(ROOT, "src");
  const files = walk(src);
  rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: files.filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts")),
    outdir: join(OUT, "src"),
    outbase: src,
    format: "esm",
    platform: "node",
    target: "node20",
    bundle: false,
    logLevel: "error",
  });
  for (const f of files.filter((f) => /\.(wasm|json)$/.test(f))) {
    const to = join(OUT, "src", relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  // node_modules is a package-scope boundary, so the build needs its own module type.
  writeFileSync(join(OUT, "package.json"), '{ "type": "module" }\n');
  return join(OUT, "src", "index.js");
}

/** Median of `repeats` fresh processes; the reported import time belongs to the median sample. */
export async function coldStart(
  lib: string, repeats: number, limitS: number, kilnIndex: string, kilnBackend = "",
): Promise<Result> {
  const samples: { ms: number; importMs: number }[] = [];
  for (let i = 0; i < repeats; i++) {
    const o = await runChildProcess([join(ROOT, "bench", "cold-child.mjs"), lib, kilnIndex, kilnBackend], limitS, false);
    const r = o.messages.find((m) => m.kind === "result");
    if (r?.kind !== "result" || r.medianMs === undefined) {
      const reason = o.timedOut ? `over the ${limitS} s limit` : (o.crashed ?? "no result");
      return { kind: "result", lib, id: "cold-start", status: "error", reason };
    }
    samples.push({ ms: r.medianMs, importMs: r.importMs ?? NaN });
  }
  samples.sort((a, b) => a.ms - b.ms);
  const mid = samples[samples.length >> 1];
  progress(`  ${lib} cold-start: ${mid.ms.toFixed(1)} ms (library imported at ${mid.importMs.toFixed(1)} ms)`);
  return { kind: "result", lib, id: "cold-start", status: "ok", medianMs: mid.ms, timesMs: samples.map((s) => s.ms), importMs: mid.importMs };
}
