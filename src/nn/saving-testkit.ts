/**
 * @file A test helper for layer authors: `roundTrip(model, x)` saves a model to archive bytes,
 * loads it back, and checks that the loaded model gives the same outputs on `x` (inference
 * mode). Throws a plain Error describing the first difference; returns the loaded model.
 */
import { treeFlatten, type PyTree, type Tracer } from "../index.js";
import type { Model } from "./model.js";
import type { LayerClass } from "./registry.js";
import { loadModelFromBytes, saveModelToBytes } from "./saving.js";

export interface RoundTripOptions {
  readonly customObjects?: Readonly<Record<string, LayerClass>>;
  /** Largest accepted absolute difference (default 0: outputs must be identical). */
  readonly atol?: number;
}

/**
 * Saves and reloads `model`, then compares `model.apply(x)` with the loaded model's.
 *
 * @example const loaded = roundTrip(model, np.ones([2, 4]));
 */
export function roundTrip(model: Model, x: PyTree, opts: RoundTripOptions = {}): Model {
  const bytes = saveModelToBytes(model);
  const loaded = loadModelFromBytes(bytes, { customObjects: opts.customObjects, compile: false });
  const a = treeFlatten(model.apply(x) as PyTree)[0] as Tracer[];
  const b = treeFlatten(loaded.apply(x) as PyTree)[0] as Tracer[];
  if (a.length !== b.length) throw new Error(`roundTrip: the model has ${a.length} outputs, the loaded one ${b.length}.`);
  const atol = opts.atol ?? 0;
  a.forEach((y, i) => {
    if (y.shape.join() !== b[i].shape.join()) throw new Error(`roundTrip: output ${i} has shape [${y.shape}] before and [${b[i].shape}] after loading.`);
    const p = y.dataSync();
    const q = b[i].dataSync();
    for (let j = 0; j < p.length; j++) {
      const d = Math.abs(Number(p[j]) - Number(q[j]));
      if (!(d <= atol) && !(Number.isNaN(Number(p[j])) && Number.isNaN(Number(q[j])))) {
        throw new Error(`roundTrip: output ${i} differs at flat index ${j}: ${p[j]} before, ${q[j]} after loading (atol ${atol}).`);
      }
    }
  });
  if (loaded.variableEntries().map((e) => e.path).join() !== model.variableEntries().map((e) => e.path).join()) {
    throw new Error("roundTrip: the loaded model's weight paths differ from the original's.");
  }
  return loaded;
}
