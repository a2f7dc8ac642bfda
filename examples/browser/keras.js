/**
 * @file The Keras example page's driver: loads `kiln` and `kiln/nn` from the built package
 * (dist/; fflate, which kiln/nn's model archive uses, through the page's import map), picks the
 * webgpu backend when the browser exposes WebGPU and falls back to wasm otherwise (`?backend=wasm`
 * forces wasm), fits the model of keras-train.js while listing each epoch, and publishes the
 * result as `window.__kilnKeras = { backend, note, ms, history, final }` (or the failure as
 * `window.__kilnKerasError`) for the browser test.
 */
import * as kiln from "/dist/index.js";
import { chooseBackend } from "./backend.js";
import * as nn from "/dist/nn/index.js";
import { KERAS_CONFIG, trainKeras } from "./keras-train.js";

const $ = (id) => document.getElementById(id);

async function main() {
  const { backend, note } = await chooseBackend();
  $("backend").textContent = backend;
  $("note").textContent = note;
  const t0 = performance.now();
  const { history, final } = await trainKeras(kiln, nn, {
    onEpoch: (epoch, logs) => {
      const row = document.createElement("tr");
      for (const v of [`${epoch + 1} / ${KERAS_CONFIG.epochs}`, logs.loss.toPrecision(5), logs.accuracy.toFixed(3)]) {
        row.appendChild(document.createElement("td")).textContent = v;
      }
      $("epochs").appendChild(row);
    },
  });
  const ms = performance.now() - t0;
  $("final").textContent = `loss ${final.loss.toPrecision(5)}, accuracy ${final.accuracy.toFixed(3)} (${ms.toFixed(0)} ms)`;
  window.__kilnKeras = { backend, note, ms, history, final };
}

main().catch((e) => {
  $("note").textContent = `failed: ${e?.stack ?? e}`;
  window.__kilnKerasError = String(e?.stack ?? e);
});
