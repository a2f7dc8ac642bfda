/**
 * @file Backend choice shared by the example pages: webgpu when the browser exposes WebGPU,
 * else wasm with the reason shown; `?backend=wasm` (or any backend name) forces one.
 */
import * as kiln from "/dist/index.js";

/** Starts the backend the page asked for and says which one runs (and why, after a fallback). */
export async function chooseBackend() {
  const wanted = new URLSearchParams(location.search).get("backend") ?? "webgpu";
  if (wanted === "webgpu") {
    try {
      await kiln.setBackend("webgpu");
      return { backend: "webgpu", note: "" };
    } catch (e) {
      await kiln.setBackend("wasm");
      return { backend: "wasm", note: `WebGPU unavailable (${e.message}); using wasm` };
    }
  }
  await kiln.setBackend(wanted);
  return { backend: wanted, note: "" };
}
