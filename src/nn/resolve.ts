/**
 * @file Turning Keras identifiers into objects: activations (`"relu"`), initializers
 * (`"glorot_uniform"`), regularizers (`"l2"`) and constraints (`"max_norm"`) given as strings,
 * instances or plain functions.
 */
import { np, type DType, type Tracer } from "../index.js";
import * as act from "./activations.js";
import { logSoftmax, softmax } from "./functions.js";
import { nextGlobalKey } from "./call-context.js";
import * as initializerClasses from "./initializers-keras.js";
import * as regularizerClasses from "./regularizers.js";
import * as constraintClasses from "./constraints.js";

/** An activation: a Keras name or a function of one Array. */
export type ActivationLike = string | ((x: Tracer) => Tracer) | null;

const ACTIVATIONS: Record<string, (x: Tracer) => Tracer> = {
  linear: (x) => x,
  relu: act.relu,
  relu6: act.relu6,
  sigmoid: act.sigmoid,
  tanh: (x) => np.tanh(x),
  softmax: (x) => softmax(x, { axis: -1 }),
  log_softmax: (x) => logSoftmax(x, { axis: -1 }),
  softplus: act.softplus,
  softsign: act.softSign,
  silu: act.silu,
  swish: act.silu,
  gelu: (x) => act.gelu(x, { approximate: false }),
  elu: (x) => act.elu(x),
  selu: act.selu,
  celu: (x) => act.celu(x),
  exponential: (x) => np.exp(x),
  hard_sigmoid: act.hardSigmoid,
  hard_silu: act.hardSilu,
  hard_swish: act.hardSilu,
  leaky_relu: (x) => act.leakyRelu(x, 0.2),
  log_sigmoid: act.logSigmoid,
  mish: act.mish,
};

/** Names of the activations a string may name. */
export const activationNames = (): string[] => Object.keys(ACTIVATIONS);

/**
 * The activation function for a Keras identifier (`null`/undefined: identity).
 *
 * @example resolveActivation("relu")(x)
 */
export function resolveActivation(a: ActivationLike | undefined): (x: Tracer) => Tracer {
  if (a === null || a === undefined) return ACTIVATIONS.linear;
  if (typeof a === "function") return a;
  const f = ACTIVATIONS[a];
  if (!f) {
    throw new TypeError(`Unknown activation ${JSON.stringify(a)}. Expected one of: ${activationNames().join(", ")}, or a function.`);
  }
  return f;
}

/** The identifier of an activation for configs: its name, or null for a function we cannot name. */
export function activationId(a: ActivationLike | undefined): string | null {
  if (a === null || a === undefined) return "linear";
  if (typeof a === "string") return a;
  for (const [k, f] of Object.entries(ACTIVATIONS)) if (f === a) return k;
  return null;
}

/** Something that draws an initial weight value. */
export interface InitializerObject {
  sample(key: Tracer, shape: readonly number[], dtype: DType): Tracer;
  getConfig?(): Record<string, unknown>;
}
export type InitializerLike =
  | string
  | InitializerObject
  | SerializedObject
  | ((key: Tracer, shape: readonly number[], dtype: DType) => Tracer);

export interface RegularizerObject {
  call(w: Tracer): Tracer;
  getConfig?(): Record<string, unknown>;
}
export type RegularizerLike = string | RegularizerObject | SerializedObject;

export interface ConstraintObject {
  call(w: Tracer): Tracer;
  getConfig?(): Record<string, unknown>;
}
export type ConstraintLike = string | ConstraintObject | SerializedObject;

type Sampler = (key: Tracer, shape: readonly number[], dtype: DType) => Tracer;
/** A getter takes a string identifier or a serialized `{ className, config }` record. */
type Getter<T> = (id: string | SerializedObject) => T;
// The Keras class registries; `installGetters` may wrap them (loading a model bounds initializers).
let initializerGetter: Getter<InitializerObject> = (id) => initializerClasses.get(id as never);
let regularizerGetter: Getter<RegularizerObject> = (id) => regularizerClasses.get(id as never);
let constraintGetter: Getter<ConstraintObject> = (id) => constraintClasses.get(id as never);

/** An option object as configs store it. */
export interface SerializedObject {
  readonly className: string;
  readonly config?: Record<string, unknown>;
}

const isSerialized = (x: unknown): x is SerializedObject =>
  typeof x === "object" && x !== null && typeof (x as SerializedObject).className === "string" && !("call" in x) && !("sample" in x);

/** Replaces how identifiers resolve (loading a model wraps initializers to bound their sizes). */
export function installGetters(g: {
  initializer?: Getter<InitializerObject>;
  regularizer?: Getter<RegularizerObject>;
  constraint?: Getter<ConstraintObject>;
}): void {
  initializerGetter = g.initializer ?? initializerGetter;
  regularizerGetter = g.regularizer ?? regularizerGetter;
  constraintGetter = g.constraint ?? constraintGetter;
}

/** A function `(shape, dtype) -> initial value` (draws its key from the global stream). */
export function resolveInitializer(init: InitializerLike): (shape: readonly number[], dtype: DType) => Tracer {
  let sample: Sampler;
  if (typeof init === "function") sample = init;
  else if (typeof init === "string" || isSerialized(init)) {
    const obj = initializerGetter(init);
    sample = (k, s, d) => obj.sample(k, s, d);
  } else {
    const obj = init as InitializerObject;
    sample = (k, s, d) => obj.sample(k, s, d);
  }
  return (shape, dtype) => {
    const key = nextGlobalKey();
    try {
      return sample(key, shape, dtype);
    } finally {
      key.dispose();
    }
  };
}

export function resolveRegularizer(r: RegularizerLike | null): RegularizerObject | null {
  if (r === null) return null;
  if (typeof r !== "string" && !isSerialized(r)) return r as RegularizerObject;
  return regularizerGetter(r);
}

export function resolveConstraint(c: ConstraintLike | null): ConstraintObject | null {
  if (c === null) return null;
  if (typeof c !== "string" && !isSerialized(c)) return c as ConstraintObject;
  return constraintGetter(c);
}
