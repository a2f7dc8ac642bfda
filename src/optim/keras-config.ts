/**
 * @file The configuration plumbing shared by Kiln's Keras-style classes (optimizers, schedules,
 * initializers, regularizers, constraints): JSON configs, `{ className, config }` records,
 * identifier lookup for `get`, and the checks `fromConfig` runs on untrusted input.
 * Config keys are camelCase like the constructors' options; `fromConfig` also accepts Keras'
 * snake_case keys (`learning_rate`, `beta_1`), so configs written by Keras load as well.
 */

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged (the same type as io's `JsonValue`). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A Keras object's constructor arguments, as JSON. */
export type Config = Record<string, JsonValue>;

/** A serialized Keras object: its class name and config (Keras' `class_name` / `config`). */
export interface Serialized {
  readonly className: string;
  readonly config: Config;
}

/** `beta_1` -> `beta1`, `learning_rate` -> `learningRate`; camelCase keys are unchanged. */
export const camelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** PascalCase -> snake_case as Keras' `to_snake_case` does: `GlorotUniform` -> `glorot_uniform`. */
export const snakeName = (name: string): string =>
  name.replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;

/**
 * A config with camelCase keys, checked against the keys the class knows (an unknown key is
 * refused rather than ignored, as Keras refuses unexpected constructor arguments).
 *
 * @example configArgs("optimizers.Adam", { beta_1: 0.8 }, ["beta1"]) // { beta1: 0.8 }
 */
export function configArgs(op: string, config: unknown, known: readonly string[]): Config {
  if (!isPlainObject(config)) {
    throw new TypeError(`${op}.fromConfig: expected a plain object of constructor arguments; received ${describe(config)}.`);
  }
  const out: Config = {};
  for (const [k, v] of Object.entries(config)) {
    const key = camelKey(k);
    if (!known.includes(key)) {
      throw new TypeError(`${op}.fromConfig: unknown argument '${k}'; expected some of ${known.join(", ")}.`);
    }
    out[key] = v as JsonValue;
  }
  return out;
}

/** Short description of a received value for error messages. */
export function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "string") return JSON.stringify(x);
  if (typeof x === "number" || typeof x === "boolean") return String(x);
  if (typeof x === "function") return `a function${x.name ? ` (${x.name})` : ""}`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  const name = (x as object).constructor?.name;
  return name && name !== "Object" ? `an instance of ${name}` : "an object";
}

/** What a registry holds: a class with a static `fromConfig`. */
export interface Registered<T> {
  readonly name: string;
  fromConfig(config: Config): T;
}

/** A lookup table from Keras identifiers (class names, snake_case names, aliases) to classes. */
export type Registry<T> = Readonly<Record<string, Registered<T>>>;

/**
 * Builds a registry from classes: each under its class name and its snake_case name, plus
 * the given aliases.
 */
export function makeRegistry<T>(classes: readonly Registered<T>[], aliases: Readonly<Record<string, Registered<T>>> = {}): Registry<T> {
  const out: Record<string, Registered<T>> = Object.create(null);
  for (const c of classes) {
    out[c.name] = c;
    out[snakeName(c.name)] = c;
  }
  return Object.assign(out, aliases);
}

/** Options of `resolve`. */
export interface ResolveOptions {
  /** Keras' optimizer lookup ignores case ("Adam", "adam"); the others do not. */
  readonly ignoreCase?: boolean;
}

/**
 * Keras' `get(identifier)`: an instance is returned as is, a string names a class built with
 * its defaults, a `{ className, config }` record is deserialized.
 */
export function resolve<T>(
  op: string,
  kind: string,
  id: unknown,
  registry: Registry<T>,
  isInstance: (x: unknown) => x is T,
  opts: ResolveOptions = {},
): T {
  if (isInstance(id)) return id;
  if (typeof id === "string") return lookup(op, kind, id, registry, opts).fromConfig({});
  if (isPlainObject(id)) return deserializeWith(op, kind, id, registry, opts);
  throw new TypeError(
    `${op}: could not interpret ${kind} identifier ${describe(id)}; pass a ${kind} instance, a name such as ` +
      `${JSON.stringify(Object.keys(registry).find((k) => /^[a-z]/.test(k)))}, or a { className, config } record.`,
  );
}

function lookup<T>(op: string, kind: string, name: string, registry: Registry<T>, opts: ResolveOptions): Registered<T> {
  const hit = opts.ignoreCase
    ? Object.entries(registry).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
    : registry[name];
  if (!hit) {
    const names = Object.keys(registry).filter((k) => /^[a-z]/.test(k));
    throw new TypeError(`${op}: unknown ${kind} ${JSON.stringify(name)}; expected one of ${names.join(", ")} (or the class names).`);
  }
  return hit;
}

/**
 * Rebuilds an object from `{ className, config }` (Keras' `{ class_name, config }` also works).
 * Only classes of the registry can be named: loading never runs other code.
 */
export function deserializeWith<T>(op: string, kind: string, record: unknown, registry: Registry<T>, opts: ResolveOptions = {}): T {
  if (!isPlainObject(record)) {
    throw new TypeError(`${op}: expected a { className, config } record; received ${describe(record)}.`);
  }
  const className = record.className ?? record.class_name;
  if (typeof className !== "string") {
    throw new TypeError(`${op}: the record has no className string; received ${describe(className)}.`);
  }
  const config = record.config ?? {};
  return lookup(op, kind, className, registry, opts).fromConfig(config as Config);
}

/** `{ className, config }` of an object whose class is in `registry`. */
export function serializeWith<T extends { getConfig(): Config }>(op: string, obj: T, registry: Registry<T>): Serialized {
  const className = (obj as object).constructor.name;
  if ((registry[className] as unknown) !== (obj as object).constructor) {
    throw new TypeError(
      `${op}: cannot serialize ${describe(obj)}: its class is not one of the built-in classes, so it could not be rebuilt by name.`,
    );
  }
  return { className, config: obj.getConfig() };
}

/** Reads an optional number argument, checking its type and range. */
export function numberArg(op: string, name: string, v: unknown, dflt: number, check: "any" | "nonNegative" | "positive" = "any"): number {
  if (v === undefined || v === null) return dflt;
  const ok =
    typeof v === "number" && Number.isFinite(v) && (check === "any" || (check === "nonNegative" ? v >= 0 : v > 0));
  if (!ok) {
    const what = check === "any" ? "a finite number" : check === "nonNegative" ? "a finite number >= 0" : "a finite number > 0";
    throw new RangeError(`${op}: ${name} must be ${what}; received ${describe(v)}.`);
  }
  return v as number;
}

/** Reads an optional string argument that must be one of `choices`. */
export function choiceArg<C extends string>(op: string, name: string, v: unknown, dflt: C, choices: readonly C[]): C {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new RangeError(`${op}: ${name} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}; received ${describe(v)}.`);
  }
  return v as C;
}

/** Reads an optional boolean argument. */
export function boolArg(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") throw new TypeError(`${op}: ${name} must be true or false; received ${describe(v)}.`);
  return v;
}
