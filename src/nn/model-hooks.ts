/**
 * @file Late-bound model services (summary, saving). `Model` calls them through this table
 * instead of importing summary.ts and saving.ts, which import the model classes themselves: the
 * `kiln/nn` entry fills the table once every module is loaded, so no import cycle runs a class
 * definition before its base class exists.
 */
import type { Model } from "./model.js";

export interface ModelServices {
  summary(model: Model, opts: { printFn?: (line: string) => void; lineLength?: number }): string;
  saveModel(model: Model, path: string, opts: { includeOptimizer?: boolean }): void;
  saveWeights(model: Model, path: string): void;
  loadWeights(model: Model, path: string): void;
}

const services: Partial<ModelServices> = {};

/** Installs the services (done by src/nn/index.ts). */
export function installModelServices(s: ModelServices): void {
  Object.assign(services, s);
}

export function service<K extends keyof ModelServices>(name: K): ModelServices[K] {
  const f = services[name];
  if (!f) throw new Error(`model.${name}: import the model through "kiln/nn" (its entry installs ${name}).`);
  return f;
}
