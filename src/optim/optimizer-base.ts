/**
 * @file The shared frame of the Keras-style optimizers: Keras 3's base `Optimizer.apply`
 * (clip the gradients, decay the weights by `lr * weightDecay`, run the per-variable update
 * rule, advance `iterations`) written as one pure `GradientTransformation`. Each optimizer
 * supplies only its slot variables and its per-leaf rule.
 * Reference: keras/src/optimizers/base_optimizer.py (Keras 3.3).
 */
import { np, lax, treeFlatten, treeUnflatten, type Tracer, type PyTree } from "../index.js";
import {
  type GradientTransformation, type LearningRate, type LearningRateState, castTo, checkLearningRate, clipLeaves,
  clipLeavesByNorm, clipTreeByGlobalNorm, currentLearningRate, initLearningRate, leavesLike,
} from "./transform.js";

/** Options every Keras optimizer accepts (Keras 3 base optimizer arguments). */
export interface BaseOptions {
  /** A number or a schedule of the step. */
  readonly learningRate?: LearningRate;
  /** Decoupled weight decay: each update first subtracts `lr * weightDecay * param`. */
  readonly weightDecay?: number;
  /** Clip each gradient leaf to this L2 norm. */
  readonly clipnorm?: number;
  /** Clip each gradient element to `[-clipvalue, clipvalue]`. */
  readonly clipvalue?: number;
  /** Clip all gradients together to this global L2 norm. */
  readonly globalClipnorm?: number;
}

/** An optimizer state: the step counter, the numeric learning rate and named slot trees. */
export interface OptimizerState extends LearningRateState {
  readonly [slot: string]: PyTree;
}

/** What a per-leaf rule sees: the gradient, the rate and step in the gradient's dtype, its slots. */
export interface LeafContext {
  readonly g: Tracer;
  /** The learning rate at this step, in `g`'s dtype. */
  readonly lr: Tracer;
  /** The 1-based step number (`iterations + 1`), in `g`'s dtype. */
  readonly t: Tracer;
  readonly slots: Readonly<Record<string, Tracer>>;
  /** Optimizer-wide scalars, already advanced for this step (Nadam's momentum product). */
  readonly globals: Readonly<Record<string, Tracer>>;
}

/** One optimizer's rule: its slots and the update it adds to each parameter. */
export interface OptimizerRule {
  readonly name: string;
  /** Slot name -> initial value for a parameter leaf (zeros in most optimizers). */
  readonly slots: Readonly<Record<string, (p: Tracer) => Tracer>>;
  /** Optimizer-wide scalar state, created in the first parameter's dtype. */
  readonly globals?: {
    readonly names: readonly string[];
    init(dtype: Tracer["dtype"]): Record<string, Tracer>;
    /** Advances the globals at step `t` (1-based, in their dtype) before the leaves update. */
    update(globals: Readonly<Record<string, Tracer>>, t: Tracer): Record<string, Tracer>;
  };
  /** Returns the update to add to the parameter and the new slot values. */
  step(ctx: LeafContext): [update: Tracer, slots: Record<string, Tracer>];
}

/** Options given as a bare learning rate or as an object. */
export function optionsOf<O extends BaseOptions>(x: number | LearningRate | O | undefined): O {
  if (x === undefined) return {} as O;
  if (typeof x === "number" || typeof x === "function") return { learningRate: x } as O;
  return x;
}

/** Throws a RangeError unless `lo <= v <= hi` (bounds inclusive unless `open`). */
export function checkRange(op: string, name: string, v: number, lo: number, hi: number, open: "lo" | "hi" | "none" = "none"): void {
  const ok = typeof v === "number" && !Number.isNaN(v) && (open === "lo" ? v > lo : v >= lo) && (open === "hi" ? v < hi : v <= hi);
  if (!ok) {
    const range = `${open === "lo" ? "(" : "["}${lo}, ${hi}${open === "hi" ? ")" : "]"}`;
    throw new RangeError(`${op}: ${name} must be in ${range}; received ${String(v)}.`);
  }
}

function clipGradients(grads: PyTree, o: BaseOptions): PyTree {
  if (o.clipnorm !== undefined && o.clipnorm > 0) return clipLeavesByNorm(grads, o.clipnorm);
  if (o.globalClipnorm !== undefined && o.globalClipnorm > 0) return clipTreeByGlobalNorm(grads, o.globalClipnorm);
  if (o.clipvalue !== undefined && o.clipvalue > 0) return clipLeaves(grads, o.clipvalue);
  return grads;
}

/**
 * Builds a Keras-style optimizer from its rule. Updates are what to add to the parameters:
 * `u = rule(g) - lr * weightDecay * p`, then `applyUpdates(params, u)`.
 */
export function makeOptimizer(rule: OptimizerRule, opts: BaseOptions, defaultLr: number): GradientTransformation<OptimizerState> {
  const op = `optim.${rule.name}`;
  const lr = opts.learningRate ?? defaultLr;
  checkLearningRate(op, lr);
  const clips = (["clipnorm", "clipvalue", "globalClipnorm"] as const).filter((k) => opts[k] !== undefined);
  if (clips.length > 1) {
    throw new RangeError(`${op}: only one of clipnorm, clipvalue and globalClipnorm can be set; received ${clips.join(", ")}.`);
  }
  for (const k of clips) checkRange(op, k, opts[k]!, 0, Infinity, "lo");
  const wd = opts.weightDecay;
  if (wd !== undefined && (typeof wd !== "number" || !Number.isFinite(wd) || wd < 0)) {
    throw new RangeError(`${op}: weightDecay must be a finite number >= 0; received ${String(wd)}.`);
  }
  const slotNames = Object.keys(rule.slots);

  return {
    init(params) {
      const [leaves, def] = treeFlatten(params);
      const state: Record<string, PyTree> = { ...initLearningRate(lr) };
      for (const name of slotNames) state[name] = treeUnflatten(def, (leaves as Tracer[]).map(rule.slots[name]));
      if (rule.globals) Object.assign(state, rule.globals.init((leaves[0] as Tracer | undefined)?.dtype ?? "float32"));
      return state as OptimizerState;
    },

    update(grads, state, params) {
      if (!state || typeof state !== "object" || !("count" in state)) {
        throw new TypeError(`${op}: update expects the state returned by init (an object with a step count); received ${typeof state}.`);
      }
      const clipped = clipGradients(grads, opts);
      const [gLeaves, def] = treeFlatten(clipped) as [Tracer[], ReturnType<typeof treeFlatten>[1]];
      const decay = wd !== undefined && wd > 0;
      if (decay && params === undefined) {
        throw new TypeError(`${op}: weightDecay needs the params; call update(grads, state, params).`);
      }
      const pLeaves = params === undefined ? undefined : leavesLike(op, "params", params, def);
      const slotLeaves = Object.fromEntries(slotNames.map((n) => [n, leavesLike(op, `state.${n}`, state[n], def)]));
      const rate = currentLearningRate(lr, state);
      const step = state.count.add(1);
      let globals: Record<string, Tracer> = {};
      if (rule.globals) {
        const old = Object.fromEntries(rule.globals.names.map((k) => [k, state[k] as Tracer]));
        const dtype = Object.values(old)[0]?.dtype ?? "float32";
        globals = rule.globals.update(old, lax.convertElementType(step, dtype));
      }
      const newSlots: Record<string, Tracer[]> = Object.fromEntries(slotNames.map((n) => [n, []]));
      const updates = gLeaves.map((g, i) => {
        const lrL = castTo(rate, g);
        const ctx: LeafContext = {
          g,
          lr: lrL,
          t: lax.convertElementType(step, g.dtype),
          slots: Object.fromEntries(slotNames.map((n) => [n, slotLeaves[n][i]])),
          globals: Object.fromEntries(Object.entries(globals).map(([k, v]) => [k, castTo(v, g)])),
        };
        const [u, s] = rule.step(ctx);
        for (const n of slotNames) newSlots[n].push(s[n]);
        if (!decay) return u;
        // Keras applies `p -= p * wd * lr` before the rule; the rule never reads p, so the sum is the same.
        const p = pLeaves![i];
        return u.sub(castTo(p.mul(wd).mul(castTo(lrL, p)), u));
      });
      const next: Record<string, PyTree> = { ...state, count: step, ...globals };
      for (const n of slotNames) next[n] = treeUnflatten(def, newSlots[n]);
      return [treeUnflatten(def, updates) as typeof grads, next as OptimizerState];
    },
  };
}

/** A slot initialized to zeros like the parameter. */
export const zerosSlot = (p: Tracer): Tracer => np.zerosLike(p);
