/**
 * @file Moving arrays between backends (JAX's `device_put`): every Array leaf of a pytree is
 * copied to the named backend. Reading from a GPU is asynchronous, so `devicePut` is too;
 * `devicePutSync` serves sources that can be read synchronously (the CPU backends).
 */
import { getBackend, initBackend } from "../backend/registry.js";
import { ConcreteArray } from "./array.js";
import type { Tracer } from "./core.js";
import { type PyTree, treeFlatten, treeUnflatten } from "./pytree.js";

const copyTo = (x: ConcreteArray, data: ArrayLike<number>, backend: string): ConcreteArray =>
  ConcreteArray.fromData(data as ArrayLike<number>, x.shape, x.dtype, x.weakType, getBackend(backend));

function leavesOf(tree: PyTree, op: string): [ConcreteArray[], ReturnType<typeof treeFlatten>[1]] {
  const [leaves, def] = treeFlatten(tree);
  for (const l of leaves) {
    if (!(l instanceof ConcreteArray)) {
      throw new TypeError(`${op}: expected concrete Arrays, received a traced value (${(l as Tracer).aval?.str?.() ?? typeof l}). Move arrays outside jit/grad.`);
    }
  }
  return [leaves as ConcreteArray[], def];
}

/**
 * Copies every Array of `tree` to the backend `name` (starting it if needed: webgpu). Arrays
 * already there are returned as new references to the same data. The originals are untouched.
 *
 * @example const onGpu = await devicePut({ w, b }, "webgpu")
 */
export async function devicePut<T extends PyTree>(tree: T, name: string): Promise<T> {
  await initBackend(name);
  const [leaves, def] = leavesOf(tree, "devicePut");
  const data = await Promise.all(leaves.map((x) => (x.backend.name === name ? null : x.data())));
  return treeUnflatten(def, leaves.map((x, i) => (data[i] === null ? x.retain() : copyTo(x, data[i]!, name)))) as T;
}

/**
 * `devicePut` for arrays on backends that read synchronously (wasm, reference), to a backend
 * that is running; throws, naming `devicePut`, for arrays on a GPU.
 *
 * @example const onCpu = devicePutSync(x, "reference")
 */
export function devicePutSync<T extends PyTree>(tree: T, name: string): T {
  const [leaves, def] = leavesOf(tree, "devicePutSync");
  getBackend(name);
  return treeUnflatten(def, leaves.map((x) => {
    if (x.backend.name === name) return x.retain();
    if (!x.backend.canReadSync) {
      throw new Error(`devicePutSync: an array on the ${x.backend.name} backend cannot be read synchronously; use 'await devicePut(tree, "${name}")'.`);
    }
    return copyTo(x, x.dataSync(), name);
  })) as T;
}
