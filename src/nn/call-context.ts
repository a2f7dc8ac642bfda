/**
 * @file The context of one forward pass: the training flag, a deterministic stream of PRNG
 * keys for stochastic layers (Dropout, noise, random augmentation), and the losses layers add
 * (activity regularization). Layers called inside another layer's `call` share its context,
 * as Keras' call context does, so a subclassed model need not thread `training` by hand.
 */
import { ConcreteArray, devicePutSync, getBackend, keep, random, type Tracer, withDefaultBackend } from "../index.js";

let globalKey: Tracer | null = null;

/**
 * A fresh key from the process-wide stream, for eager calls made without one (and weight
 * initialization). The stream lives on the reference backend whatever the default is, so it
 * can be advanced after a backend switch; each key is handed out on the default backend.
 */
export function nextGlobalKey(): Tracer {
  const b = withDefaultBackend("reference", () => {
    globalKey ??= own(random.key(Date.now() % 2 ** 31));
    const [a, k] = random.split(globalKey);
    globalKey.dispose();
    globalKey = own(a);
    return k;
  });
  const here = devicePutSync(b, getBackend().name);
  b.dispose();
  return here;
}

/** The stream's key outlives any `tidy` scope it was advanced in. */
const own = (k: Tracer): Tracer => (k instanceof ConcreteArray ? keep(k) : k);

/**
 * Seeds the key stream used by eager calls that were given no key (Keras' `set_random_seed`).
 *
 * @example setRandomSeed(42)
 */
export function setRandomSeed(seed: number): void {
  globalKey?.dispose();
  globalKey = withDefaultBackend("reference", () => own(random.key(seed)));
}

interface KeyStream {
  key: Tracer | null;
  count: number;
}

export interface CallOptions {
  /** Whether the call is part of training (Dropout active, BatchNormalization uses batch statistics). */
  readonly training?: boolean;
  /** PRNG key for stochastic layers; without one, a process-wide stream supplies keys. */
  readonly key?: Tracer;
}

/**
 * What a layer's `call` receives besides its inputs.
 *
 * @example
 *   call(x: Tracer, ctx: CallContext) { return ctx.training ? dropout(x, ctx.nextKey()) : x; }
 */
export class CallContext {
  readonly training: boolean;
  readonly losses: Tracer[];
  /** Shared with the contexts derived by `with`, so keys never repeat within one call. */
  #stream: KeyStream;

  constructor(opts: CallOptions = {}, shared?: { stream: KeyStream; losses: Tracer[] }) {
    this.training = opts.training ?? false;
    this.#stream = shared?.stream ?? { key: opts.key ?? null, count: 0 };
    this.losses = shared?.losses ?? [];
  }

  /** A context for a nested call: same keys and losses, `training` overridden when given. */
  with(training: boolean | undefined): CallContext {
    if (training === undefined || training === this.training) return this;
    return new CallContext({ training }, { stream: this.#stream, losses: this.losses });
  }

  /** A new key, different at each request, and the same across replays of the same call. */
  nextKey(): Tracer {
    const s = this.#stream;
    if (s.key === null) return nextGlobalKey();
    return random.foldIn(s.key, s.count++);
  }

  /** Adds a scalar to the training loss (Keras' `add_loss`). */
  addLoss(loss: Tracer): void {
    this.losses.push(loss);
  }
}

const stack: CallContext[] = [];

/** The context of the call in progress, if any. */
export const currentContext = (): CallContext | undefined => stack.at(-1);

/** Runs `fn` with `ctx` as the current context. */
export function inContext<T>(ctx: CallContext, fn: () => T): T {
  stack.push(ctx);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}
