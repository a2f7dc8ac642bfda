/**
 * @file The browser example (examples/browser/) in headless Chromium, loading the BUILT package
 * (dist/, rebuilt here when older than src/): the page trains on WebGPU where Chromium exposes it
 * (SwiftShader with --enable-unsafe-webgpu) and on wasm otherwise; further loads force wasm
 * (?backend=wasm) and hide navigator.gpu to exercise the page's fallback.
 * Every run must reduce the loss, reach the least-squares solution, and match, step by step, the
 * same training run in Node on the reference backend.
 *
 * Never skips: without Chromium (scripts/setup-system.sh installs it) or playwright-core
 * (a devDependency) the tests fail and say what is missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as kiln from "../../src/index.js";
import { CONFIG, TRUE_B, TRUE_W, makeData, train, type TrainResult } from "../../examples/browser/train.js";
import { serveStatic, type StaticServer } from "./serve.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const chromiumPath = process.env.KILN_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
  "--enable-unsafe-webgpu",
];

interface PageResult extends TrainResult {
  backend: string;
  note: string;
  ms: number;
  buffers: number;
}

/** Newest modification time of the files under dir that the build reads. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if ((e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) || e.name.endsWith(".wasm")) {
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

/** Runs `npm run build` when dist/ is missing or older than src/; returns what it did. */
function ensureBuilt(): string {
  const index = join(repo, "dist/index.js");
  const inputs = Math.max(newestSource(join(repo, "src")), statSync(join(repo, "tsconfig.build.json")).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= inputs) return "dist/ is up to date";
  const t0 = performance.now();
  execFileSync("npm", ["run", "build"], { cwd: repo, stdio: "pipe" });
  return `built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** The least-squares fit [w..., b] of the example's data, in float64 (normal equations). */
function leastSquares(): number[] {
  const { x, y } = makeData();
  const n = CONFIG.features + 1;
  const row = (i: number) => [...x.subarray(i * CONFIG.features, (i + 1) * CONFIG.features), 1];
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i < CONFIG.samples; i++) {
    const r = row(i);
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) a[p][q] += r[p] * r[q];
      a[p][n] += r[p] * y[i];
    }
  }
  // Gauss-Jordan with partial pivoting on the augmented system.
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    [a[c], a[piv]] = [a[piv], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((r, i) => r[n] / r[i]);
}

let context: BrowserContext | undefined;
let profile: string | undefined;
let server: StaticServer | undefined;
let reference: TrainResult;
/** Why the setup failed; every test rethrows it, so a missing browser fails each test rather than skipping it. */
let setupError: unknown;

beforeAll(async () => {
  try {
    await setup();
  } catch (e) {
    setupError = e;
  }
}, 180_000);

async function setup(): Promise<void> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: run scripts/setup-system.sh (apt-get install chromium), or set KILN_CHROMIUM.`);
  }
  let chromium: typeof import("playwright-core").chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch (e) {
    throw new Error(`playwright-core is not installed (${(e as Error).message}): run npm ci.`);
  }
  console.log(`browser example: ${ensureBuilt()}`);
  await kiln.setBackend("reference");
  reference = await train(kiln);
  server = await serveStatic(repo);
  profile = mkdtempSync(join(tmpdir(), "kiln-chromium-"));
  context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await kiln.setBackend("wasm");
});

/** Opens the example page and waits for its result; page errors fail with the page's message. */
async function runPage(query: string, { hideWebGPU = false } = {}): Promise<PageResult> {
  if (setupError) throw setupError;
  const page = await context!.newPage();
  // As in browsers without WebGPU: navigator.gpu is undefined before any page script runs.
  if (hideWebGPU) await page.addInitScript(() => {
      const nav = (globalThis as unknown as { Navigator: { prototype: object } }).Navigator;
      Object.defineProperty(nav.prototype, "gpu", { value: undefined });
    });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  try {
    await page.goto(`${server!.url}examples/browser/${query}`);
    const done = await page.waitForFunction(
      // Runs in the page, where globalThis is its window.
      () => {
        const w = globalThis as { __kilnResult?: unknown; __kilnError?: string };
        return w.__kilnResult ?? w.__kilnError;
      },
      undefined,
      { timeout: 60_000, polling: 100 },
    ).catch((e: Error) => {
      throw new Error(`the page did not finish: ${e.message}\npage errors: ${errors.join("\n") || "none"}`);
    });
    const value = (await done.jsonValue()) as PageResult | string;
    if (typeof value === "string") throw new Error(`the example page failed: ${value}\npage errors: ${errors.join("\n") || "none"}`);
    // The live display shows the last step.
    expect(await page.textContent("#step")).toBe(`${CONFIG.steps} / ${CONFIG.steps}`);
    expect(await page.textContent("#backend")).toBe(value.backend);
    return value;
  } finally {
    await page.close();
  }
}

/** The checks every browser run must pass, whichever backend it ran on. */
function checkRun(r: PageResult, label: string): void {
  const { losses, finalParams } = r;
  const msg = (what: string) => `${label}, ${r.backend} backend: ${what}`;
  expect(losses, msg("one loss per step")).toHaveLength(CONFIG.steps);
  expect(losses.every(Number.isFinite), msg("finite losses")).toBe(true);
  // Full-batch gradient descent below the stability limit never increases the loss.
  for (let i = 1; i < losses.length; i++) expect(losses[i], msg(`loss at step ${i}`)).toBeLessThanOrEqual(losses[i - 1] * (1 + 1e-5));
  expect(losses.at(-1)!, msg("final loss < 1% of the first")).toBeLessThan(0.01 * losses[0]);
  // A buffer leaked per step would leave at least CONFIG.steps behind.
  expect(r.buffers, msg("live buffers after training")).toBeLessThan(10);

  const fit = leastSquares();
  const got = [...finalParams.w, finalParams.b];
  got.forEach((v, i) => expect(Math.abs(v - fit[i]), msg(`parameter ${i} = ${v}, least squares ${fit[i]}`)).toBeLessThan(1e-4));
  [...TRUE_W, TRUE_B].forEach((v, i) => expect(Math.abs(got[i] - v), msg(`parameter ${i} near the generating ${v}`)).toBeLessThan(0.05));

  const rel = losses.map((v, i) => Math.abs(v - reference.losses[i]) / Math.abs(reference.losses[i]));
  const ref = [...reference.finalParams.w, reference.finalParams.b];
  console.log(`${label} on ${r.backend}: largest relative loss difference from the reference backend ${Math.max(...rel).toExponential(2)}, ` +
    `largest parameter distance from least squares ${Math.max(...got.map((v, i) => Math.abs(v - fit[i]))).toExponential(2)}`);
  rel.forEach((d, i) => expect(d, msg(`loss at step ${i}: ${losses[i]}, reference backend ${reference.losses[i]}`)).toBeLessThan(1e-4));
  got.forEach((v, i) => expect(Math.abs(v - ref[i]), msg(`parameter ${i}: ${v}, reference backend ${ref[i]}`)).toBeLessThan(1e-4));
}

describe("browser example page in headless Chromium (built package)", () => {
  it("trains on WebGPU where Chromium exposes it, else wasm; losses equal the reference backend's", async () => {
    const r = await runPage("");
    console.log(`browser example ran on ${r.backend} in ${r.ms.toFixed(0)} ms${r.note ? ` (${r.note})` : ""}; ` +
      `loss ${r.losses[0].toPrecision(4)} -> ${r.losses.at(-1)!.toPrecision(4)}`);
    expect(["webgpu", "wasm"], `backend ${r.backend}`).toContain(r.backend);
    checkRun(r, "default page");
  }, 120_000);

  it("trains on wasm when asked (?backend=wasm); losses equal the reference backend's", async () => {
    const r = await runPage("?backend=wasm");
    console.log(`browser example (?backend=wasm) ran on ${r.backend} in ${r.ms.toFixed(0)} ms`);
    expect(r.backend).toBe("wasm");
    checkRun(r, "?backend=wasm");
  }, 120_000);

  it("falls back to wasm, saying why, in a browser without navigator.gpu", async () => {
    const r = await runPage("", { hideWebGPU: true });
    console.log(`browser example without navigator.gpu ran on ${r.backend} in ${r.ms.toFixed(0)} ms (${r.note})`);
    expect(r.backend).toBe("wasm");
    expect(r.note).toMatch(/^WebGPU unavailable \(.*navigator\.gpu.*\); using wasm$/);
    checkRun(r, "no navigator.gpu");
  }, 120_000);
});
