/**
 * @file Helpers for layer configs: how an option object (an initializer, a regularizer...) is
 * written into JSON, Keras style (`{ className, config }`), and read back through a registry;
 * the kernel/bias options that Dense, the convolutions and the attention projections share.
 */
import type { ConstraintLike, InitializerLike, RegularizerLike } from "../resolve.js";

/** The options of layers with a kernel and an optional bias (Keras' names and defaults). */
export interface KernelBiasOptions {
  readonly useBias?: boolean;
  /** Default `"glorot_uniform"`. */
  readonly kernelInitializer?: InitializerLike;
  /** Default `"zeros"`. */
  readonly biasInitializer?: InitializerLike;
  readonly kernelRegularizer?: RegularizerLike | null;
  readonly biasRegularizer?: RegularizerLike | null;
  readonly kernelConstraint?: ConstraintLike | null;
  readonly biasConstraint?: ConstraintLike | null;
}

/** The JSON of the kernel/bias options (and the activity regularizer), defaults filled in. */
export function kernelBiasConfig(o: KernelBiasOptions & { readonly activityRegularizer?: RegularizerLike | null }): Record<string, unknown> {
  return {
    useBias: o.useBias ?? true,
    kernelInitializer: serializeObject(o.kernelInitializer ?? "glorot_uniform"),
    biasInitializer: serializeObject(o.biasInitializer ?? "zeros"),
    kernelRegularizer: serializeObject(o.kernelRegularizer ?? null),
    biasRegularizer: serializeObject(o.biasRegularizer ?? null),
    activityRegularizer: serializeObject(o.activityRegularizer ?? null),
    kernelConstraint: serializeObject(o.kernelConstraint ?? null),
    biasConstraint: serializeObject(o.biasConstraint ?? null),
  };
}

/** JSON for an option that may be a string identifier, null, or an object with `getConfig`. */
export function serializeObject(x: unknown): unknown {
  if (x === null || x === undefined || typeof x === "string" || typeof x === "number" || typeof x === "boolean") return x ?? null;
  if (typeof x === "function") {
    throw new TypeError(
      `Cannot serialize the function ${x.name || "(anonymous)"} into a layer config: configs hold only data. ` +
        `Use a string identifier or an object with getConfig().`,
    );
  }
  const o = x as { getConfig?: () => unknown; className?: string; config?: unknown; constructor: { name: string } };
  // Already serialized (a config read back from JSON): keep it as it is.
  if (!o.getConfig && typeof o.className === "string") return { className: o.className, config: o.config ?? {} };
  return { className: o.className ?? o.constructor.name, config: o.getConfig ? o.getConfig() : {} };
}
