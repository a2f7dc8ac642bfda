/**
 * @file Helpers for layer configs: how an option object (an initializer, a regularizer...) is
 * written into JSON, Keras style (`{ className, config }`), and read back through a registry.
 */

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
