/**
 * @file The browser examples (examples/browser/) in headless Chromium, loading the BUILT package
 * (dist/, rebuilt here when older than src/): the regression page trains on WebGPU where Chromium
 * exposes it (SwiftShader with --enable-unsafe-webgpu) and on wasm otherwise; further loads force
 * wasm (?backend=wasm) and hide navigator.gpu to exercise the page's fallback. Every run must
 * reduce the loss, reach the least-squares solution, and match, step by step, the same training
 * run in Node on the reference backend. The Keras page (kiln/nn, model.fit) must lower its loss
 * every epoch and match the reference backend's history; tests/browser/nn.html checks that kiln/nn
 * works without Node (datasets and model archives as bytes, clear errors from file functions).
 *
 * Never skips: without Chromium (scripts/setup-system.sh installs it) or playwright-core
 * (a devDependency) the tests fail and say what is missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as kiln from "../../src/index.js";
import * as nn from "../../src/nn/index.js";
import { CONFIG, TRUE_B, TRUE_W, makeData, train, type TrainResult } from "../../examples/browser/train.js";
import { KERAS_CONFIG, trainKeras, type KerasResult } from "../../examples/browser/keras-train.js";
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
let kerasReference: KerasResult;
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
  kerasReference = await trainKeras(kiln, nn);
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

/** Opens a page (path from the repository root) and waits until it sets `resultKey` or `errorKey` on window. */
async function openPage<T>(
  path: string, resultKey: string, errorKey: string, { hideWebGPU = false } = {},
): Promise<{ page: Page; value: T }> {
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
    await page.goto(`${server!.url}${path}`);
    const done = await page.waitForFunction(
      // Runs in the page, where globalThis is its window.
      ([ok, bad]) => {
        const w = globalThis as unknown as Record<string, unknown>;
        return w[ok] ?? w[bad];
      },
      [resultKey, errorKey],
      { timeout: 60_000, polling: 100 },
    ).catch((e: Error) => {
      throw new Error(`${path} did not finish: ${e.message}\npage errors: ${errors.join("\n") || "none"}`);
    });
    const value = (await done.jsonValue()) as T | string;
    if (typeof value === "string") throw new Error(`${path} failed: ${value}\npage errors: ${errors.join("\n") || "none"}`);
    return { page, value };
  } catch (e) {
    await page.close();
    throw e;
  }
}

/** Opens the regression page and waits for its result; page errors fail with the page's message. */
async function runPage(query: string, opts: { hideWebGPU?: boolean } = {}): Promise<PageResult> {
  const { page, value } = await openPage<PageResult>(`examples/browser/${query}`, "__kilnResult", "__kilnError", opts);
  try {
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

/** What examples/browser/keras.js publishes as window.__kilnKeras. */
interface KerasPageResult extends KerasResult {
  backend: string;
  note: string;
  ms: number;
}

/** Opens the Keras page; checks that the epoch table lists every epoch and names the backend. */
async function runKerasPage(query: string): Promise<KerasPageResult> {
  const { page, value } = await openPage<KerasPageResult>(`examples/browser/keras.html${query}`, "__kilnKeras", "__kilnKerasError");
  try {
    expect(await page.locator("#epochs tr").count()).toBe(KERAS_CONFIG.epochs);
    expect(await page.textContent("#backend")).toBe(value.backend);
    return value;
  } finally {
    await page.close();
  }
}

/** The checks every Keras page run must pass: a falling loss, and the reference backend's history. */
function checkKeras(r: KerasPageResult, label: string): void {
  const msg = (what: string) => `${label}, ${r.backend} backend: ${what}`;
  const { loss, accuracy } = r.history;
  expect(loss, msg("one loss per epoch")).toHaveLength(KERAS_CONFIG.epochs);
  expect(accuracy, msg("one accuracy per epoch")).toHaveLength(KERAS_CONFIG.epochs);
  expect(loss.every(Number.isFinite), msg("finite losses")).toBe(true);
  for (let i = 1; i < loss.length; i++) expect(loss[i], msg(`loss of epoch ${i + 1} below epoch ${i}'s`)).toBeLessThan(loss[i - 1]);
  expect(loss.at(-1)!, msg("last epoch's loss < 10% of the first's")).toBeLessThan(0.1 * loss[0]);
  expect(r.final.accuracy, msg("accuracy after training")).toBeGreaterThanOrEqual(0.95);
  // Same seeds, same batches: only float32 rounding (and the GPU's summation order) may differ.
  const ref = kerasReference.history;
  const rel = loss.map((v, i) => Math.abs(v - ref.loss[i]) / ref.loss[i]);
  console.log(`${label} on ${r.backend}: loss ${loss.map((v) => v.toPrecision(4)).join(" -> ")}; ` +
    `largest relative difference from the reference backend ${Math.max(...rel).toExponential(2)}`);
  rel.forEach((d, i) => expect(d, msg(`loss of epoch ${i + 1}: ${loss[i]}, reference backend ${ref.loss[i]}`)).toBeLessThan(1e-3));
  accuracy.forEach((a, i) => expect(Math.abs(a - ref.accuracy[i]), msg(`accuracy of epoch ${i + 1}: ${a}, reference ${ref.accuracy[i]}`)).toBeLessThanOrEqual(1 / KERAS_CONFIG.samples + 1e-6));
}

describe("Keras example page (kiln/nn, model.fit) in headless Chromium (built package)", () => {
  it("fits on WebGPU where Chromium exposes it, else wasm; the history equals the reference backend's", async () => {
    const r = await runKerasPage("");
    console.log(`Keras example ran on ${r.backend} in ${r.ms.toFixed(0)} ms${r.note ? ` (${r.note})` : ""}`);
    expect(["webgpu", "wasm"], `backend ${r.backend}`).toContain(r.backend);
    checkKeras(r, "keras.html");
  }, 120_000);

  it("fits on wasm when asked (?backend=wasm)", async () => {
    const r = await runKerasPage("?backend=wasm");
    expect(r.backend).toBe("wasm");
    checkKeras(r, "keras.html?backend=wasm");
  }, 120_000);
});

/** What tests/browser/nn-in-browser.js returns. */
interface NnChecks {
  fashionLoadData: string;
  mnistLoadData: string;
  fromBytes: { shapes: number[][]; dtypes: string[]; trainPixelSum: number; testFirstPixels: number[]; trainLabels: number[]; testLabels: number[] };
  truncatedGzip: string;
  archive: { bytes: number; zipMagic: number[]; original: number[]; loaded: number[] };
  json: { layers: string[]; params: number };
  saveModel: string;
  loadModel: string;
  saveWeights: string;
  loadWeights: string;
}

describe("kiln/nn in a browser, without Node", () => {
  it("built package: no static import names a node: module, and only kiln/nn names a package (fflate)", () => {
    if (setupError) throw setupError;
    const bare = (entry: string) => {
      const seen = new Set<string>();
      const names = new Set<string>();
      const walk = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
          const spec = m[1] ?? m[2];
          if (spec.startsWith(".")) walk(resolve(dirname(file), spec));
          else names.add(spec);
        }
      };
      walk(join(repo, entry));
      return { files: seen.size, names: [...names].sort() };
    };
    const core = bare("dist/index.js");
    const keras = bare("dist/nn/index.js");
    expect(core.files).toBeGreaterThan(50);
    expect(keras.files).toBeGreaterThan(core.files);
    expect(core.names).toEqual([]);
    expect(keras.names).toEqual(["fflate"]);
  });

  it("loads; parses dataset bytes and model archives in memory; file functions say what to use instead", async () => {
    const { page, value: r } = await openPage<NnChecks>("tests/browser/nn.html", "__kilnNn", "__kilnNnError");
    await page.close();
    const noNode = /reads files and needs Node\.js .*in a browser, fetch the four IDX files .* pass their bytes to datasets\.(\w+)\.fromBytes\(\{ trainImages, trainLabels, testImages, testLabels \}\)/;
    expect(r.fashionLoadData).toMatch(/^Error: datasets\.fashionMnist\.loadData reads files/);
    expect(r.fashionLoadData.match(noNode)?.[1]).toBe("fashionMnist");
    expect(r.mnistLoadData).toMatch(/^Error: datasets\.mnist\.loadData reads files/);
    expect(r.mnistLoadData.match(noNode)?.[1]).toBe("mnist");

    // The page built the same files as src/nn/datasets-utils.test.ts: pixel i of set `seed` is (7 i + seed) mod 256.
    const pixelSum = Array.from({ length: 3 * 784 }, (_, i) => (i * 7 + 1) % 256).reduce((a, b) => a + b, 0);
    expect(r.fromBytes).toEqual({
      shapes: [[3, 28, 28], [3], [2, 28, 28], [2]],
      dtypes: ["float32", "int32", "float32", "int32"],
      trainPixelSum: pixelSum,
      testFirstPixels: [5, 12, 19],
      trainLabels: [9, 0, 4],
      testLabels: [1, 2],
    });
    expect(r.truncatedGzip).toMatch(/^IdxFormatError: datasets\.fashionMnist\.fromBytes: trainImages: gzip data is corrupt/);

    expect(r.archive.zipMagic).toEqual([0x50, 0x4b]); // "PK": a zip, written by fflate in the page
    expect(r.archive.original).toHaveLength(6);
    expect(r.archive.loaded).toEqual(r.archive.original);
    expect(r.json).toEqual({ layers: ["Dense"], params: 9 });

    expect(r.saveModel).toMatch(/^Error: saveModel: .*needs Node\.js.*in a browser, saveModelToBytes\(model\)/);
    expect(r.loadModel).toMatch(/^Error: loadModel: .*needs Node\.js.*in a browser, .*loadModelFromBytes\(bytes\)/);
    expect(r.saveWeights).toMatch(/^Error: saveWeights: .*needs Node\.js.*saveModelToBytes/);
    expect(r.loadWeights).toMatch(/^Error: loadWeights: .*needs Node\.js.*loadModelFromBytes/);
  }, 120_000);
});
