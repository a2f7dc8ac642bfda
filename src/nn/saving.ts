/**
 * @file Saving and loading models: the `.kiln` archive of docs/model-format.md (config.json =
 * the model config of model-config.ts plus the compile config; model.weights.safetensors = the
 * weights under their variable paths, `dense/kernel`; optionally the optimizer state) and bare
 * `.weights.safetensors` files. Loading treats the file as hostile: the archive layer bounds
 * sizes and checks the JSON; here the model is rebuilt from registered classes only, every
 * weight it creates is bounded by the weights the file holds (initial values are zeros, never
 * sampled), and names, shapes and dtypes must match exactly before any value is assigned.
 */
import { np, tidy, type PyTree, type Tracer } from "../index.js";
import {
  type ArchiveContents, type ArchiveData, type ArchiveLimits, type JsonValue, type SafetensorsLimits, type TensorEntry, parseConfigJson, readArchive,
  readArchiveFile, readSafetensors, writeArchive, writeArchiveFile, writeSafetensors,
} from "../io/index.js";
import * as optim from "../optim/index.js";
import type { CompileOptions } from "./compile-utils.js";
import * as initializerClasses from "./initializers-keras.js";
import * as lossesNs from "./losses.js";
import * as metricsNs from "./metrics.js";
import type { Model } from "./model.js";
import { modelFromJSON, modelToJSON } from "./model-config.js";
import { type LayerClass, SerializationError } from "./registry.js";
import { installGetters } from "./resolve.js";

export { SerializationError } from "./registry.js";
export { modelToJSON, modelFromJSON } from "./model-config.js";

type NodeFs = typeof import("node:fs");

/** What to use instead of a file function where there is no file system. */
const IN_MEMORY: Readonly<Record<string, string>> = {
  saveModel: "saveModelToBytes(model) returns the archive's bytes (to download or store)",
  loadModel: "fetch the archive and pass its bytes to loadModelFromBytes(bytes)",
  saveWeights: "saveModelToBytes(model) returns the whole model, weights included, as bytes",
  loadWeights: "fetch a .kiln archive and pass its bytes to loadModelFromBytes(bytes)",
};

/**
 * node:fs, loaded when a file is touched (not on import) so that this module stays importable
 * in browsers, where it throws an error naming the in-memory alternative.
 *
 * @example nodeFs("saveModel").writeFileSync(path, bytes)
 */
export function nodeFs(fn: string): NodeFs {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
  if (!fs) {
    const instead = IN_MEMORY[fn] ?? "keep the data in memory (saveModelToBytes / loadModelFromBytes for models)";
    throw new Error(`${fn}: reading and writing files needs Node.js >= 20.16 (process.getBuiltinModule); in a browser, ${instead}.`);
  }
  return fs;
}

/** What saving.ts reads from the trainer when it offers it (see the report to the lead). */
interface TrainerHooks {
  readonly compileOptions?: CompileOptions | null;
  getOptimizerState?(): PyTree | null;
  setOptimizerState?(state: PyTree): void;
}
const hooks = (m: Model) => m.trainer as unknown as TrainerHooks;

/** The weights as safetensors entries, keyed by variable path. */
export function weightEntries(model: Model): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const e of model.variableEntries()) {
    const v = e.variable.value;
    out.set(e.path, { dtype: v.dtype, shape: [...v.shape], data: v.dataSync() });
  }
  return out;
}

/** Checks that `tensors` holds exactly the model's weights (names, shapes, dtypes), or throws WEIGHT_MISMATCH. */
function matchWeights(model: Model, tensors: ReadonlyMap<string, TensorEntry>, what: string): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of model.variableEntries()) {
    seen.add(e.path);
    const t = tensors.get(e.path);
    if (!t) problems.push(`missing '${e.path}' (${e.variable.dtype}[${e.variable.shape}])`);
    else if (t.shape.length !== e.variable.shape.length || t.shape.some((d, i) => d !== e.variable.shape[i]) || t.dtype !== e.variable.dtype) {
      problems.push(`'${e.path}': the model has ${e.variable.dtype}[${e.variable.shape}], the file ${t.dtype}[${t.shape}]`);
    }
  }
  for (const name of tensors.keys()) if (!seen.has(name)) problems.push(`unexpected '${name.slice(0, 200)}' (no such weight in the model)`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join("; ") + (problems.length > 10 ? `; and ${problems.length - 10} more` : "");
    throw new SerializationError("WEIGHT_MISMATCH", `${what}: the weights do not match model '${model.name}': ${shown}. Load into a model built the same way (same layers, names and input shape).`);
  }
}

/** Assigns matched tensors to the model's variables. */
function assignWeights(model: Model, tensors: ReadonlyMap<string, TensorEntry>): void {
  for (const e of model.variableEntries()) {
    const t = tensors.get(e.path)!;
    tidy(() => e.variable.assign(np.array(t.data, { dtype: t.dtype, shape: t.shape })));
  }
}

/**
 * The file's tensors renamed to the model's paths by position (the saved order), when names
 * differ but every shape and dtype lines up: layer names of subclassed models depend on how
 * many layers the program made before, as in Keras where such files load by structure.
 */
function renamedByPosition(model: Model, tensors: ReadonlyMap<string, TensorEntry>, order: string | undefined): Map<string, TensorEntry> | null {
  if (order === undefined) return null;
  let names: JsonValue;
  try {
    names = parseConfigJson(order, { maxDepth: 2 }, "weights order");
  } catch {
    return null;
  }
  const entries = model.variableEntries();
  if (!Array.isArray(names) || names.length !== entries.length || names.length !== tensors.size) return null;
  const out = new Map<string, TensorEntry>();
  for (let i = 0; i < entries.length; i++) {
    const t = typeof names[i] === "string" ? tensors.get(names[i] as string) : undefined;
    const v = entries[i].variable;
    if (!t || t.dtype !== v.dtype || t.shape.length !== v.shape.length || t.shape.some((d, j) => d !== v.shape[j])) return null;
    out.set(entries[i].path, t);
  }
  return out;
}

const checkExt = (fn: string, path: string, ext: string) => {
  if (typeof path !== "string" || !path.endsWith(ext)) {
    throw new TypeError(`${fn}: the file name must end in "${ext}", received ${JSON.stringify(path)}.`);
  }
};

/** The weights as `.weights.safetensors` bytes. @example const bytes = weightsToBytes(model) */
export function weightsToBytes(model: Model): Uint8Array {
  if (!model.built) throw new Error(`saveWeights: model '${model.name}' is not built yet; call it on data (or fit) first.`);
  const entries = weightEntries(model);
  // The file sorts tensors by name; the model's order lets loadWeights match by position too.
  return writeSafetensors(entries, { format: "kiln-weights", order: JSON.stringify([...entries.keys()]) });
}

/** Loads weights from safetensors bytes; names, shapes and dtypes must match exactly. @example loadWeightsFromBytes(model, bytes) */
export function loadWeightsFromBytes(model: Model, bytes: Uint8Array, limits: SafetensorsLimits = {}): void {
  if (!model.built) throw new Error(`loadWeights: model '${model.name}' is not built yet; build it (call it on data, or give an Input) before loading weights.`);
  const file = readSafetensors(bytes, limits, "weights file");
  try {
    matchWeights(model, file.tensors, "loadWeights");
  } catch (e) {
    const byPosition = renamedByPosition(model, file.tensors, file.metadata.order);
    if (!byPosition) throw e;
    return assignWeights(model, byPosition);
  }
  assignWeights(model, file.tensors);
}

/**
 * Writes the weights (only) to a `.weights.safetensors` file, named by variable path.
 *
 * @example saveWeights(model, "model.weights.safetensors")
 */
export function saveWeights(model: Model, path: string): void {
  checkExt("saveWeights", path, ".weights.safetensors");
  const fs = nodeFs("saveWeights");
  const tmp = `${path}.tmp-${Date.now()}`;
  fs.writeFileSync(tmp, weightsToBytes(model));
  fs.renameSync(tmp, path);
}

/**
 * Reads a `.weights.safetensors` file into a built model (a subclassed one too).
 *
 * @example loadWeights(model, "model.weights.safetensors")
 */
export function loadWeights(model: Model, path: string, limits: SafetensorsLimits = {}): void {
  const fs = nodeFs("loadWeights");
  const size = fs.statSync(path).size;
  if (size > 2 ** 32) throw new SerializationError("WEIGHT_MISMATCH", `loadWeights: ${path} has ${size} bytes, more than 4 GiB.`);
  loadWeightsFromBytes(model, fs.readFileSync(path), limits);
}

/** A pytree's array leaves with stable slash-separated names (`mu/dense/kernel`, `0/count`). */
function namedLeaves(tree: unknown, prefix = "", out = new Map<string, Tracer>()): Map<string, Tracer> {
  if (tree !== null && typeof tree === "object" && "dataSync" in tree) {
    if (out.has(prefix)) throw new SerializationError("NOT_SERIALIZABLE", `optimizer state: two entries are named '${prefix}'.`);
    out.set(prefix, tree as Tracer);
  } else if (Array.isArray(tree)) tree.forEach((v, i) => namedLeaves(v, prefix ? `${prefix}/${i}` : String(i), out));
  else if (tree !== null && typeof tree === "object") for (const [k, v] of Object.entries(tree)) namedLeaves(v, prefix ? `${prefix}/${k}` : k, out);
  return out;
}

/** Rebuilds `template` with each array leaf replaced by `f(name, leaf)`. */
function replaceLeaves(tree: unknown, f: (name: string, leaf: Tracer) => Tracer, prefix = ""): unknown {
  if (tree !== null && typeof tree === "object" && "dataSync" in tree) return f(prefix, tree as Tracer);
  if (Array.isArray(tree)) return tree.map((v, i) => replaceLeaves(v, f, prefix ? `${prefix}/${i}` : String(i)));
  if (tree !== null && typeof tree === "object") return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, replaceLeaves(v, f, prefix ? `${prefix}/${k}` : k)]));
  return tree;
}

/** The compile options as JSON, or undefined (with a warning) when they hold functions or custom objects. */
function compileConfig(model: Model): JsonValue | undefined {
  const o = hooks(model).compileOptions;
  if (!o) return undefined;
  const one = (x: unknown, ser: (v: never) => unknown): JsonValue => (typeof x === "string" ? x : (ser(x as never) as JsonValue));
  const map = (spec: unknown, ser: (v: never) => unknown): JsonValue => {
    if (Array.isArray(spec)) return spec.map((s) => map(s, ser));
    if (spec !== null && typeof spec === "object" && Object.getPrototypeOf(spec) === Object.prototype) {
      return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, map(v, ser)]));
    }
    return one(spec, ser);
  };
  try {
    return {
      optimizer: o.optimizer === undefined ? "rmsprop" : one(o.optimizer, optim.optimizers.serialize),
      loss: map(o.loss, lossesNs.serialize),
      metrics: o.metrics ? map(o.metrics, metricsNs.serialize) : null,
      lossWeights: (o.lossWeights ?? null) as JsonValue,
    };
  } catch (e) {
    console.warn(`saveModel: the compile options of '${model.name}' are not saved (${(e as Error).message}); compile the loaded model yourself.`);
    return undefined;
  }
}

export interface SaveOptions {
  /** Also save the optimizer state, when the model has trained (default true). */
  readonly includeOptimizer?: boolean;
}

/** Everything `saveModel` writes, before zipping. */
export function modelArchiveContents(model: Model, opts: SaveOptions = {}): ArchiveContents {
  const compiled = compileConfig(model) ?? null;
  const config = { ...modelToJSON(model), compileConfig: compiled } as JsonValue;
  const weights = weightEntries(model);
  const state = opts.includeOptimizer === false ? null : (hooks(model).getOptimizerState?.() ?? null);
  if (!state) return { config, weights };
  const optimizer = new Map<string, TensorEntry>();
  for (const [name, leaf] of namedLeaves(state)) optimizer.set(name, { dtype: leaf.dtype, shape: [...leaf.shape], data: leaf.dataSync() });
  const optimizerConfig = compiled && typeof compiled === "object" && !Array.isArray(compiled) ? compiled.optimizer : undefined;
  return { config, weights, optimizer, ...(optimizerConfig !== undefined ? { optimizerConfig } : {}) };
}

/** The archive bytes of `saveModel` (for browsers). @example const bytes = saveModelToBytes(model) */
export function saveModelToBytes(model: Model, opts: SaveOptions = {}): Uint8Array {
  return writeArchive(modelArchiveContents(model, opts));
}

/**
 * Saves the whole model (config, weights, compile config and, by default, the optimizer
 * state) to a `.kiln` archive. Subclassed models cannot be saved whole: use saveWeights.
 *
 * @example saveModel(model, "fashion.kiln")
 */
export function saveModel(model: Model, path: string, opts: SaveOptions = {}): void {
  checkExt("saveModel", path, ".kiln");
  nodeFs("saveModel"); // in a browser, name the alternative before writing anything
  writeArchiveFile(path, modelArchiveContents(model, opts));
}

export interface LoadOptions {
  /** Custom layer classes by name (in addition to `registerLayer`). */
  readonly customObjects?: Readonly<Record<string, LayerClass>>;
  /** Compile the model with the saved compile config, restoring the optimizer state (default true). */
  readonly compile?: boolean;
  readonly limits?: ArchiveLimits;
}

/** A zero-filled stand-in for an initializer while loading: bounded by the file's weights. */
class LoadingInitializer {
  constructor(
    readonly inner: initializerClasses.Initializer,
    readonly budget: { max: number; left: number; active: boolean },
  ) {}
  get className(): string {
    return this.inner.constructor.name;
  }
  getConfig(): Record<string, unknown> {
    return this.inner.getConfig() as Record<string, unknown>;
  }
  sample(key: Tracer, shape: readonly number[], dtype: Parameters<initializerClasses.Initializer["sample"]>[2]): Tracer {
    if (!this.budget.active) return this.inner.sample(key, shape, dtype);
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > this.budget.max || n > this.budget.left) {
      throw new SerializationError(
        "WEIGHT_MISMATCH",
        `loadModel: the config declares a weight of shape [${shape}] (${n} values), but the weights file holds ${n > this.budget.max ? `at most ${this.budget.max} values per weight` : "fewer values in total"}; the config and weights do not match.`,
      );
    }
    this.budget.left -= n;
    return np.zeros([...shape], { dtype });
  }
}

/** Rebuilds a model from validated archive data (see loadModel). */
export function modelFromArchive(data: ArchiveData, opts: LoadOptions = {}): Model {
  const tensors = data.weights.tensors;
  let max = 0;
  let total = 0;
  for (const t of tensors.values()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    max = Math.max(max, n);
    total += n;
  }
  const budget = { max, left: total, active: true };
  const guard = (init: initializerClasses.Initializer) => new LoadingInitializer(init, budget);
  const cfg = data.config as Record<string, JsonValue>;
  const { compileConfig: compiled, ...modelJson } = cfg && typeof cfg === "object" && !Array.isArray(cfg) ? cfg : ({} as Record<string, JsonValue>);
  // Layers' own default initializers (strings) are bounded too, while this model is built.
  installGetters({ initializer: (id) => guard(initializerClasses.get(id as JsonValue)) });
  let model: Model;
  try {
    model = modelFromJSON(modelJson, { customObjects: opts.customObjects, wrapInitializer: guard });
  } finally {
    budget.active = false;
    installGetters({ initializer: (id) => initializerClasses.get(id as JsonValue) });
  }
  matchWeights(model, tensors, "loadModel");
  assignWeights(model, tensors);
  if (opts.compile !== false && compiled && typeof compiled === "object") compileFromConfig(model, compiled as Record<string, JsonValue>, data);
  return model;
}

function compileFromConfig(model: Model, c: Record<string, JsonValue>, data: ArchiveData): void {
  const bad = (e: unknown): never => {
    throw new SerializationError("BAD_CONFIG", `loadModel: the compile config is invalid: ${(e as Error)?.message ?? String(e)}`);
  };
  const map = <T>(spec: JsonValue, de: (x: never) => T): unknown =>
    Array.isArray(spec) ? spec.map((s) => map(s, de)) : spec !== null && typeof spec === "object" && !("className" in spec) ? Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, map(v, de)])) : de(spec as never);
  try {
    model.compile({
      optimizer: typeof c.optimizer === "string" ? c.optimizer : optim.optimizers.deserialize(c.optimizer),
      loss: map(c.loss, lossesNs.deserialize) as CompileOptions["loss"],
      metrics: (c.metrics === null || c.metrics === undefined ? undefined : map(c.metrics, metricsNs.deserialize)) as CompileOptions["metrics"],
      lossWeights: (c.lossWeights ?? undefined) as CompileOptions["lossWeights"],
    });
  } catch (e) {
    if (e instanceof SerializationError) throw e;
    bad(e);
  }
  const saved = data.optimizer?.tensors;
  const h = hooks(model);
  if (!saved || !h.setOptimizerState) return;
  const opt = (model.trainer.optimizer as unknown as { init(p: PyTree): PyTree });
  const state = tidy(() => {
    const template = opt.init(model.paramsAndState()[0] as PyTree);
    const names = namedLeaves(template);
    const problems = [...names].filter(([n, l]) => {
      const t = saved.get(n);
      return !t || t.dtype !== l.dtype || t.shape.length !== l.shape.length || t.shape.some((d, i) => d !== l.shape[i]);
    }).map(([n]) => n);
    for (const n of saved.keys()) if (!names.has(n)) problems.push(n);
    if (problems.length > 0) {
      throw new SerializationError("WEIGHT_MISMATCH", `loadModel: the optimizer state does not match the optimizer (${problems.slice(0, 10).join(", ")}); load with { compile: false } and compile anew.`);
    }
    return replaceLeaves(template, (n) => {
      const t = saved.get(n)!;
      return np.array(t.data, { dtype: t.dtype, shape: t.shape });
    }) as PyTree;
  });
  h.setOptimizerState(state);
}

/** Loads `saveModelToBytes` output (for browsers). @example const model = loadModelFromBytes(bytes) */
export function loadModelFromBytes(bytes: Uint8Array, opts: LoadOptions = {}): Model {
  return modelFromArchive(readArchive(bytes, opts.limits), opts);
}

/**
 * Loads a `.kiln` archive written by `saveModel`. Validates the archive, the config and every
 * weight's name, shape and dtype before assigning; rebuilds only built-in or registered
 * layer classes; never evaluates anything read. Errors: `ArchiveError` (the file),
 * `SerializationError` (the model).
 *
 * @example const model = loadModel("fashion.kiln"); model.predict(xTest)
 */
export function loadModel(path: string, opts: LoadOptions = {}): Model {
  nodeFs("loadModel");
  return modelFromArchive(readArchiveFile(path, opts.limits), opts);
}
