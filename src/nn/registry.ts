/**
 * @file The layer registry: which class a `className` in a saved config may rebuild. It holds
 * every built-in layer (every class of the `layers` namespace with a static `fromConfig`), the
 * custom layers a program registers with `registerLayer`, and the model classes that
 * saving.ts adds. Loading rebuilds only these classes: a config is data, and an unknown name is
 * an error, never a lookup of something else. Options that are objects in configs
 * (initializers, regularizers, constraints, wrapped layers) are revived through their own
 * Keras registries.
 */
import { ArchiveError, validateConfig, type JsonValue } from "../io/index.js";
import * as constraints from "./constraints.js";
import * as initializers from "./initializers-keras.js";
import { Layer, type LayerConfig } from "./layer.js";
import * as layerNamespace from "./layers/index.js";
import * as regularizers from "./regularizers.js";

/** What went wrong while turning a model into a config or a config back into a model. */
export type SerializationErrorCode =
  | "UNKNOWN_CLASS" // a className that is neither built in nor registered
  | "BAD_CONFIG" // a config of the wrong shape, or one its class refuses
  | "NOT_SERIALIZABLE" // a model or layer that cannot be written as data (a function option, an unregistered class)
  | "WEIGHT_MISMATCH"; // weights in a file that do not match the model's

/** The typed error of saving.ts and registry.ts (file-level problems are io's `ArchiveError`). */
export class SerializationError extends Error {
  override name = "SerializationError";
  constructor(
    readonly code: SerializationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A layer class that can be rebuilt from its config. */
export interface LayerClass {
  readonly name: string;
  readonly prototype: Layer;
  fromConfig(config: LayerConfig): Layer;
}

/** `{ className, config }`, as Keras' `serialize_keras_object` (with camelCase keys). */
export interface SerializedLayer {
  readonly className: string;
  readonly config: Record<string, JsonValue>;
}

export interface DeserializeOptions {
  /** Extra classes by name, taking precedence over the registry (Keras' `custom_objects`). */
  readonly customObjects?: Readonly<Record<string, LayerClass>>;
  /** Applied to every initializer a config names (saving.ts uses it to bound allocations). */
  readonly wrapInitializer?: (init: initializers.Initializer) => unknown;
}

/** Rebuilds a model from its raw config (model-config.ts); it revives its own layers. */
export type ModelBuilder = (config: Record<string, unknown>, opts: DeserializeOptions, where: string) => Layer;

const custom = new Map<string, LayerClass>();
const models = new Map<string, ModelBuilder>();

const isLayerClass = (x: unknown): x is LayerClass =>
  typeof x === "function" && x.prototype instanceof Layer && typeof (x as { fromConfig?: unknown }).fromConfig === "function";

/** The built-in layer classes, read from the `layers` namespace (so newly exported layers count). */
function builtins(): Map<string, LayerClass> {
  const out = new Map<string, LayerClass>();
  for (const v of Object.values(layerNamespace)) if (isLayerClass(v)) out.set(v.name, v);
  return out;
}

/**
 * Registers a custom layer class so that saved models using it can be loaded. The class needs
 * a `getConfig()` that returns its constructor options and a static `fromConfig(config)`.
 * Registering a name again replaces the earlier class.
 *
 * @example
 *   class Scale extends Layer { ...; static fromConfig(c) { return new Scale(c); } }
 *   registerLayer(Scale);
 */
export function registerLayer(cls: LayerClass, name: string = cls?.name): void {
  if (!isLayerClass(cls)) {
    throw new TypeError(`registerLayer: expected a subclass of Layer with a static fromConfig(config), received ${typeof cls === "function" ? `class ${(cls as { name: string }).name}` : typeof cls}.`);
  }
  if (typeof name !== "string" || name === "") throw new TypeError(`registerLayer: name must be a non-empty string, received ${JSON.stringify(name)}.`);
  custom.set(name, cls);
}

/** @internal model-config.ts registers Sequential and Functional here, for nested models. */
export function registerModelClass(name: string, build: ModelBuilder): void {
  models.set(name, build);
}

/** Every class name a config may use, sorted. */
export function knownClassNames(): string[] {
  return [...new Set([...builtins().keys(), ...custom.keys(), ...models.keys()])].sort();
}

/** The class a config's className names, or null. */
export function lookupLayerClass(name: string, customObjects?: Readonly<Record<string, LayerClass>>): LayerClass | null {
  if (customObjects && Object.prototype.hasOwnProperty.call(customObjects, name)) {
    const c = customObjects[name];
    if (!isLayerClass(c)) throw new TypeError(`customObjects.${name}: expected a Layer subclass with a static fromConfig, received ${typeof c}.`);
    return c;
  }
  return custom.get(name) ?? builtins().get(name) ?? null;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;

/** JSON for a config value: objects with getConfig become `{ className, config }`; functions are refused. */
function toData(where: string, v: unknown): unknown {
  if (typeof v === "function") {
    throw new SerializationError("NOT_SERIALIZABLE", `${where} is a function (${v.name || "anonymous"}); configs hold only data. Use a Keras name ("relu", "he_normal") or a registered class.`);
  }
  if (v instanceof Layer) return serializeLayer(v);
  if (Array.isArray(v)) return v.map((x, i) => toData(`${where}[${i}]`, x));
  if (v !== null && typeof v === "object" && !isPlainObject(v)) {
    const o = v as { getConfig?: () => unknown; className?: string };
    if (typeof o.getConfig !== "function") throw new SerializationError("NOT_SERIALIZABLE", `${where} is an instance of ${v.constructor?.name ?? "a class"} without getConfig(); configs hold only data.`);
    return { className: o.className ?? v.constructor.name, config: toData(`${where}.config`, o.getConfig()) };
  }
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toData(`${where}.${k}`, x)]));
  return v;
}

/**
 * `{ className, config }` of a layer, as plain JSON. Refuses layers whose class could not be
 * rebuilt (not built in, not registered) and options that are functions.
 *
 * @example serializeLayer(new layers.Dense(3)) // { className: "Dense", config: { name: "dense", units: 3, ... } }
 */
export function serializeLayer(layer: Layer): SerializedLayer {
  const className = layer.className;
  const cls = lookupLayerClass(className);
  if (!cls || (cls as unknown) !== layer.constructor) {
    throw new SerializationError(
      "NOT_SERIALIZABLE",
      `serializeLayer: layer '${layer.name}' is a ${className}, which is not a built-in layer class or a registered one; ` +
        `call registerLayer(${className}) (with a static fromConfig) so that it can be saved and loaded.`,
    );
  }
  const raw = layer.getConfig();
  // An option given as a function shows up as null (an unnamed activation): refuse rather than lose it.
  const opts = (layer as unknown as { options?: Record<string, unknown> }).options;
  for (const [k, v] of Object.entries(raw)) {
    if (v === null && typeof opts?.[k] === "function") {
      throw new SerializationError("NOT_SERIALIZABLE", `serializeLayer: layer '${layer.name}' has ${k} given as a function, which a config cannot hold. Use a Keras name such as "relu", or a registered layer.`);
    }
  }
  const config = toData(`layer '${layer.name}' config`, raw) as Record<string, JsonValue>;
  try {
    validateConfig(config, {}, `layer '${layer.name}' config`);
  } catch (e) {
    throw new SerializationError("NOT_SERIALIZABLE", (e as Error).message);
  }
  return { className, config };
}

/** `{ className, config }` records inside configs: their class name, or null. */
function recordClass(v: unknown): string | null {
  if (!isPlainObject(v) || !("config" in v)) return null;
  const n = v.className ?? v.class_name;
  return typeof n === "string" ? n : null;
}

/** Turns a config's nested records back into objects, by the key they sit under. */
function revive(key: string, v: unknown, opts: DeserializeOptions, where: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => revive(key, x, opts, `${where}[${i}]`));
  const kind = /initializer$/i.test(key) ? "initializer" : /regularizer$/i.test(key) ? "regularizer" : /constraint$/i.test(key) ? "constraint" : null;
  const wrap = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      throw new SerializationError("BAD_CONFIG", `${where}: ${(e as Error).message}`);
    }
  };
  // Strings stay strings (the layer resolves them, so its config keeps them); records become objects.
  if (kind !== null && recordClass(v) !== null) {
    if (kind === "regularizer") return wrap(() => regularizers.deserialize(v as JsonValue));
    if (kind === "constraint") return wrap(() => constraints.deserialize(v as JsonValue));
    const init = wrap(() => initializers.deserialize(v as JsonValue)) as initializers.Initializer;
    return opts.wrapInitializer ? opts.wrapInitializer(init) : init;
  }
  if (recordClass(v) !== null) return deserializeChecked(v as Record<string, unknown>, opts, where);
  return v;
}

function deserializeChecked(json: Record<string, unknown>, opts: DeserializeOptions, where: string): Layer {
  const className = recordClass(json);
  if (className === null || !isPlainObject(json.config)) {
    throw new SerializationError("BAD_CONFIG", `${where}: expected a { className, config } record with a config object.`);
  }
  const customHit = opts.customObjects && Object.prototype.hasOwnProperty.call(opts.customObjects, className);
  const build = customHit || custom.has(className) ? undefined : models.get(className);
  if (build) return build(json.config, opts, where);
  const cls = lookupLayerClass(className, opts.customObjects);
  if (!cls) {
    throw new SerializationError(
      "UNKNOWN_CLASS",
      `${where}: unknown layer class ${JSON.stringify(className.slice(0, 100))}. Known classes: ${knownClassNames().join(", ")}. ` +
        `For a custom layer, call registerLayer(YourLayer) or pass { customObjects: { ${/^\w+$/.test(className) ? className : "Name"}: YourLayer } }.`,
    );
  }
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json.config)) config[k] = revive(k, v, opts, `${where}.config.${k}`);
  let layer: Layer;
  try {
    layer = cls.fromConfig(config);
  } catch (e) {
    if (e instanceof SerializationError || e instanceof ArchiveError) throw e;
    throw new SerializationError("BAD_CONFIG", `${where}: ${className}.fromConfig refused the config: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!(layer instanceof Layer)) throw new SerializationError("BAD_CONFIG", `${where}: ${className}.fromConfig did not return a Layer.`);
  return layer;
}

/**
 * Rebuilds a layer from `serializeLayer` output. Only built-in, registered or `customObjects`
 * classes can be named; the config must be plain data (anything else is an error, nothing in
 * it is evaluated). Throws `SerializationError` (or `ArchiveError` CODE_IN_CONFIG for values
 * that look like code).
 *
 * @example const copy = deserializeLayer(serializeLayer(dense));
 */
export function deserializeLayer(json: unknown, opts: DeserializeOptions = {}): Layer {
  validateConfig(json, {}, "layer config");
  if (!isPlainObject(json)) throw new SerializationError("BAD_CONFIG", `deserializeLayer: expected a { className, config } object, received ${Array.isArray(json) ? "an array" : typeof json}.`);
  return deserializeChecked(json, opts, "layer");
}
