/**
 * @file Gradient transformations in the optax style: a pure pair `{ init, update }` over
 * pytrees, composed with `chain`. Nothing here mutates: the state (including the int32 step
 * counter) is an ordinary pytree of Arrays, so a whole training step can be traced once by
 * `jit` and replayed. Also the stateless building blocks (clipping, decayed weights) and
 * `applyUpdates`.
 */
import { np, lax, treeMap, treeFlatten, treeUnflatten, TreeMismatchError, type Tracer, type PyTree } from "../index.js";

/**
 * A pure gradient transformation. `update` returns the updates to add to the parameters
 * (already negated and scaled for the named optimizers) and the next state.
 */
export interface GradientTransformation<S = unknown> {
  init(params: PyTree): S;
  update<T extends PyTree>(grads: T, state: S, params?: T): [T, S];
}

/** A learning rate as a pure function of the int32 step counter (0 at the first update). */
export type Schedule = (step: Tracer | number) => Tracer;

/** A constant learning rate or a schedule. */
export type LearningRate = number | Schedule;

/** State that only counts steps (schedules read it). */
export interface CountState {
  readonly count: Tracer;
}

/**
 * State of a learning-rate holder. A numeric rate lives in the state as a float32 scalar, as
 * Keras keeps it in a variable, so a callback can change it (`setLearningRate`) without a new
 * trace; a schedule is evaluated from `count` instead.
 */
export interface LearningRateState extends CountState {
  readonly learningRate?: Tracer;
}

/** The int32 zero that starts every step counter. */
export const zeroCount = (): Tracer => np.zeros([], { dtype: "int32" });

/** Throws a RangeError unless `lr` is a non-negative finite number or a function. */
export function checkLearningRate(op: string, lr: LearningRate): void {
  if (typeof lr === "function") return;
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
    throw new RangeError(`${op}: learningRate must be a finite number >= 0 or a schedule (step => Array); received ${String(lr)}.`);
  }
}

/** Initial `LearningRateState` for `lr`. */
export function initLearningRate(lr: LearningRate): LearningRateState {
  return typeof lr === "number" ? { count: zeroCount(), learningRate: np.array(lr, { dtype: "float32" }) } : { count: zeroCount() };
}

/** The learning rate in effect at this update (before the counter advances). */
export function currentLearningRate(lr: LearningRate, state: LearningRateState): Tracer {
  if (typeof lr === "function") return lr(state.count);
  if (!state.learningRate) {
    throw new TypeError("optim: the state holds no learningRate; pass the state that this transformation's init returned.");
  }
  return state.learningRate;
}

/** `x` converted to `like`'s dtype (a no-op when they already agree). */
export function castTo(x: Tracer, like: Tracer): Tracer {
  return x.dtype === like.dtype ? x : lax.convertElementType(x, like.dtype);
}

/** Flattens `tree` and checks that it has `grads`' structure; names the operation on mismatch. */
export function leavesLike(op: string, what: string, tree: PyTree, gradsDef: ReturnType<typeof treeFlatten>[1]): Tracer[] {
  const [leaves, def] = treeFlatten(tree);
  if (!def.equals(gradsDef)) {
    throw new TreeMismatchError(
      `${op}: ${what} must have the structure of the gradients.\n  gradients: ${gradsDef}\n  ${what}: ${def}\n` +
        "Pass the params (and the state from init) of the same model as the gradients.",
    );
  }
  return leaves as Tracer[];
}

/**
 * Composes transformations left to right; the state is the list of their states.
 *
 * @example const opt = chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 }));
 */
export function chain(...transforms: readonly GradientTransformation<any>[]): GradientTransformation<unknown[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update(grads, state, params) {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        throw new TypeError(`optim.chain: expected a state list of ${transforms.length} entries (from init); received ${Array.isArray(state) ? state.length : typeof state}.`);
      }
      let u: PyTree = grads;
      const next = transforms.map((t, i) => {
        const [u2, s2] = t.update(u, state[i], params);
        u = u2;
        return s2;
      });
      return [u as typeof grads, next];
    },
  };
}

/**
 * Multiplies updates by `-learningRate` (a number or a schedule of the step), so that
 * `applyUpdates` descends.
 *
 * @example const opt = chain(clip(1), scaleByLearningRate(0.01));
 */
export function scaleByLearningRate(learningRate: LearningRate): GradientTransformation<LearningRateState> {
  checkLearningRate("optim.scaleByLearningRate", learningRate);
  return {
    init: () => initLearningRate(learningRate),
    update(grads, state) {
      const lr = currentLearningRate(learningRate, state);
      const u = treeMap((g: Tracer) => g.mul(castTo(lr, g)).neg(), grads) as typeof grads;
      return [u, { ...state, count: state.count.add(1) }];
    },
  };
}

/** A transformation that needs no state: `f` maps the gradients (and params). */
function stateless(f: (grads: PyTree, params?: PyTree) => PyTree): GradientTransformation<Record<string, never>> {
  return { init: () => ({}), update: (grads, state, params) => [f(grads, params) as typeof grads, state] };
}

function checkPositive(op: string, name: string, v: number): void {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${op}: ${name} must be a finite number > 0; received ${String(v)}.`);
  }
}

/** Each leaf clipped to `[-maxDelta, maxDelta]` (Keras `clipvalue`). */
export const clipLeaves = (grads: PyTree, maxDelta: number): PyTree => treeMap((g: Tracer) => np.clip(g, -maxDelta, maxDelta), grads);

/**
 * Each leaf rescaled to L2 norm at most `maxNorm`: `g * maxNorm / max(||g||, maxNorm)`, with a
 * zero norm left as is (Keras `clipnorm`).
 */
export const clipLeavesByNorm = (grads: PyTree, maxNorm: number): PyTree =>
  treeMap((g: Tracer) => {
    const sq = np.sum(np.square(g));
    const pos = sq.greater(0);
    // sqrt at 0 has an infinite derivative; keep it out of the graph when the norm is 0.
    const norm = np.where(pos, np.sqrt(np.where(pos, sq, 1)), sq);
    return g.mul(maxNorm).div(castTo(np.maximum(norm, maxNorm), g));
  }, grads);

/** The L2 norm of all leaves together, as one scalar. */
export function globalNorm(tree: PyTree): Tracer {
  const leaves = treeFlatten(tree)[0] as Tracer[];
  if (leaves.length === 0) return np.array(0);
  return np.sqrt(leaves.map((g) => np.sum(np.square(g))).reduce((a, b) => a.add(b)));
}

/**
 * All leaves scaled by `maxNorm * min(1/norm, 1/maxNorm)` (norm over all leaves): unchanged when
 * the global norm is small, NaN when it is not finite (as Keras `global_clipnorm`).
 */
export function clipTreeByGlobalNorm(grads: PyTree, maxNorm: number): PyTree {
  const norm = globalNorm(grads);
  // norm - norm is 0 for finite norms and NaN otherwise: a non-finite gradient is not hidden.
  const scale = np.minimum(np.reciprocal(norm), 1 / maxNorm).mul(maxNorm).add(norm.sub(norm));
  return treeMap((g: Tracer) => g.mul(castTo(scale, g)), grads);
}

/**
 * Clips every gradient element to `[-maxDelta, maxDelta]`.
 *
 * @example const opt = chain(clip(0.5), adam());
 */
export function clip(maxDelta: number): GradientTransformation<Record<string, never>> {
  checkPositive("optim.clip", "maxDelta", maxDelta);
  return stateless((g) => clipLeaves(g, maxDelta));
}

/**
 * Rescales each gradient leaf separately to L2 norm at most `maxNorm`.
 *
 * @example const opt = chain(clipByNorm(1), sgd());
 */
export function clipByNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  checkPositive("optim.clipByNorm", "maxNorm", maxNorm);
  return stateless((g) => clipLeavesByNorm(g, maxNorm));
}

/**
 * Rescales all gradients together so that their joint L2 norm is at most `maxNorm`.
 *
 * @example const opt = chain(clipByGlobalNorm(1), adamw());
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  checkPositive("optim.clipByGlobalNorm", "maxNorm", maxNorm);
  return stateless((g) => clipTreeByGlobalNorm(g, maxNorm));
}

/**
 * Adds `weightDecay * params` to the updates (optax's `add_decayed_weights`); placed before
 * `scaleByLearningRate` it gives decoupled weight decay `-lr * wd * p`.
 *
 * @example const opt = chain(addDecayedWeights(1e-4), scaleByLearningRate(0.1));
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation<Record<string, never>> {
  if (typeof weightDecay !== "number" || !Number.isFinite(weightDecay)) {
    throw new RangeError(`optim.addDecayedWeights: weightDecay must be a finite number; received ${String(weightDecay)}.`);
  }
  return stateless((grads, params) => {
    if (params === undefined) {
      throw new TypeError("optim.addDecayedWeights: update needs the params (update(grads, state, params)) to decay them.");
    }
    return treeMap((g: Tracer, p: Tracer) => g.add(castTo(p.mul(weightDecay), g)), grads, params);
  });
}

/**
 * `params + updates`, leaf by leaf, keeping each parameter's dtype.
 *
 * @example const [u, s] = opt.update(g, state, params); params = applyUpdates(params, u);
 */
export function applyUpdates<T extends PyTree>(params: T, updates: T): T {
  return treeMap((p: Tracer, u: Tracer) => castTo(p.add(u), p), params, updates) as T;
}

/**
 * Replaces the numeric learning rate stored in an optimizer state (at any depth of a chain),
 * e.g. for ReduceLROnPlateau; the shapes stay the same, so a jitted step does not retrace.
 *
 * @example state = setLearningRate(state, 1e-4);
 */
export function setLearningRate<S>(state: S, learningRate: number): S {
  checkLearningRate("optim.setLearningRate", learningRate);
  let found = false;
  const walk = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(walk);
    if (s && typeof s === "object" && Object.getPrototypeOf(s) === Object.prototype) {
      const o = s as Record<string, unknown>;
      if ("count" in o && "learningRate" in o) {
        found = true;
        return { ...o, learningRate: np.array(learningRate, { dtype: "float32" }) };
      }
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
    }
    return s;
  };
  const out = walk(state) as S;
  if (!found) {
    throw new TypeError("optim.setLearningRate: the state holds no numeric learning rate (a schedule was given, or this is not an optimizer state).");
  }
  return out;
}

/**
 * The numeric learning rate stored in an optimizer state (the first one found), or undefined.
 *
 * @example getLearningRate(adam(0.01).init(params)) // 0.009999999776482582 (float32)
 */
export function getLearningRate(state: unknown): number | undefined {
  if (Array.isArray(state)) {
    for (const s of state) {
      const lr = getLearningRate(s);
      if (lr !== undefined) return lr;
    }
    return undefined;
  }
  if (state && typeof state === "object" && "learningRate" in state && "count" in state) {
    return ((state as LearningRateState).learningRate?.item() as number | undefined) ?? undefined;
  }
  return undefined;
}

/** Leaves of `tree` rebuilt in `like`'s structure (helper for per-leaf optimizer rules). */
export const unflattenLike = (def: ReturnType<typeof treeFlatten>[1], leaves: readonly Tracer[]): PyTree => treeUnflatten(def, leaves);
