/**
 * @file The browser example page's driver: loads Kiln from the built package (dist/), picks the
 * webgpu backend when the browser exposes WebGPU and falls back to wasm otherwise (`?backend=wasm`
 * forces wasm), trains the model of train.js while drawing the loss live, and publishes the
 * result as `window.__kilnResult` (or the failure as `window.__kilnError`) for the browser test.
 */
import * as kiln from "/dist/index.js";
import { chooseBackend } from "./backend.js";
import { CONFIG, train } from "./train.js";

const $ = (id) => document.getElementById(id);

/** Redraws the loss curve (log scale) as an SVG polyline. */
function plot(losses) {
  const svg = $("curve");
  const w = svg.viewBox.baseVal.width;
  const h = svg.viewBox.baseVal.height;
  const logs = losses.map(Math.log10);
  const hi = Math.max(...logs);
  const lo = Math.min(...logs, hi - 1);
  const pts = logs.map((v, i) => `${((i / Math.max(1, CONFIG.steps - 1)) * w).toFixed(1)},${(((hi - v) / (hi - lo)) * h).toFixed(1)}`);
  $("line").setAttribute("points", pts.join(" "));
}

async function main() {
  const { backend, note } = await chooseBackend();
  $("backend").textContent = backend;
  $("note").textContent = note;
  const losses = [];
  const t0 = performance.now();
  const result = await train(kiln, {
    onStep: async (i, loss) => {
      losses.push(loss);
      $("step").textContent = `${i + 1} / ${CONFIG.steps}`;
      $("loss").textContent = loss.toPrecision(6);
      plot(losses);
      // Let the browser paint the new value before the next step (hidden tabs get no frames).
      await new Promise((resolve) => {
        requestAnimationFrame(() => resolve());
        setTimeout(resolve, 100);
      });
    },
  });
  const ms = performance.now() - t0;
  const { w, b } = result.finalParams;
  $("params").textContent = `w = [${w.map((v) => v.toFixed(4)).join(", ")}], b = ${b.toFixed(4)} (${ms.toFixed(0)} ms)`;
  // Live buffers on the backend after training: the jitted step's cached constants only.
  const buffers = kiln.memory().buffers;
  window.__kilnResult = { backend, note, ms, buffers, ...result };
}

main().catch((e) => {
  $("note").textContent = `failed: ${e?.stack ?? e}`;
  window.__kilnError = String(e?.stack ?? e);
});
