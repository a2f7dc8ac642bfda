/**
 * @file Models as JSON configs and back (Keras' `model.to_json` / `model_from_json`).
 * Sequential: its layers and input shape. Functional: every layer with its inbound nodes, each
 * node's inputs written as `[layerName, nodeIndex, tensorIndex]` references (Keras' layout),
 * plus the model's input and output references. Subclassed models have no config: their
 * structure is code, so only their weights can be saved. Rebuilding goes through the layer
 * registry only, and every failure is a typed error.
 */
import { ArchiveError, validateConfig, type JsonValue } from "../io/index.js";
import { Input, InputLayer } from "./input-layer.js";
import type { Layer } from "./layer.js";
import { Model } from "./model.js";
import { type DeserializeOptions, SerializationError, deserializeLayer, registerModelClass, serializeLayer } from "./registry.js";
import { Sequential } from "./sequential.js";
import { type Node, SymbolicTensor } from "./symbolic.js";

/** A model config: `{ className: "Sequential" | "Functional", config }`. */
export interface ModelJSON {
  readonly className: string;
  readonly config: Record<string, JsonValue>;
}

type Ref = [string, number, number];
type RefTree = Ref | RefTree[] | { [k: string]: RefTree };

const isPlain = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
const isRef = (x: unknown): x is Ref =>
  Array.isArray(x) && x.length === 3 && typeof x[0] === "string" && Number.isInteger(x[1]) && x[1] >= 0 && Number.isInteger(x[2]) && x[2] >= 0;

/** Maps the symbolic tensors of a (single, array or record) structure. */
function mapTree<T>(x: unknown, f: (t: SymbolicTensor) => T): unknown {
  if (x instanceof SymbolicTensor) return f(x);
  if (Array.isArray(x)) return x.map((v) => mapTree(v, f));
  if (isPlain(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapTree(v, f)]));
  throw new SerializationError("NOT_SERIALIZABLE", `modelToJSON: a layer input is neither a symbolic tensor nor a list or record of them (${typeof x}).`);
}

const fail = (where: string, what: string): never => {
  throw new SerializationError("BAD_CONFIG", `${where}: ${what}`);
};

/** A layer or nested model as `{ className, config }`. */
function layerToJSON(l: Layer): ModelJSON {
  return l instanceof Model ? modelToJSON(l) : (serializeLayer(l) as ModelJSON);
}

/**
 * The model's config as plain JSON: `{ className: "Sequential" | "Functional", config }`.
 *
 * @example const json = JSON.stringify(modelToJSON(model)); const copy = modelFromJSON(JSON.parse(json));
 */
export function modelToJSON(model: Model): ModelJSON {
  if (model instanceof Sequential) {
    const first = model.layerOutputs[0]?.node.inputs;
    return {
      className: "Sequential",
      config: {
        name: model.name,
        trainable: model.trainable,
        batchShape: model.inputShape ? [...model.inputShape] : null,
        inputDtype: first instanceof SymbolicTensor ? first.dtype : "float32",
        layers: model.layers.map((l) => layerToJSON(l) as unknown as JsonValue),
      },
    };
  }
  const io = model instanceof Model ? model.graphIO : null;
  if (!io) {
    throw new SerializationError(
      "NOT_SERIALIZABLE",
      `modelToJSON: '${model.name}' is a subclassed ${model.className}, whose structure is code, not data. ` +
        `Save its weights with saveWeights(model, "model.weights.safetensors") and load them into a model your code builds (loadWeights), ` +
        `or build it with the functional API (new Model({ inputs, outputs })) to save it whole.`,
    );
  }
  const nodes = graphNodes(model);
  const names = new Set<string>();
  for (const l of model.layers) {
    if (names.has(l.name)) throw new SerializationError("NOT_SERIALIZABLE", `modelToJSON: two layers of '${model.name}' are named '${l.name}'; give them distinct names.`);
    names.add(l.name);
  }
  const mine = (l: Layer) => l.inboundNodes.filter((n) => nodes.has(n));
  const ref = (t: SymbolicTensor): Ref => [t.node.layer.name, mine(t.node.layer as Layer).indexOf(t.node), t.index];
  const layers = model.layers.map((l) => ({
    ...layerToJSON(l),
    name: l.name,
    inboundNodes: l instanceof InputLayer ? [] : mine(l).map((n) => mapTree(n.inputs, ref)),
  }));
  return {
    className: "Functional",
    config: {
      name: model.name,
      trainable: model.trainable,
      layers: layers as unknown as JsonValue,
      inputLayers: mapTree(io.inputs, ref) as JsonValue,
      outputLayers: mapTree(io.outputs, ref) as JsonValue,
    },
  };
}

/** The nodes of a functional model's graph (input nodes included). */
function graphNodes(model: Model): Set<Node> {
  const io = model.graphIO!;
  const out = new Set<Node>();
  const stack: SymbolicTensor[] = [];
  mapTree(io.outputs, (t) => stack.push(t));
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (out.has(t.node)) continue;
    out.add(t.node);
    if (!(t.node.layer instanceof InputLayer)) mapTree(t.node.inputs, (s) => stack.push(s));
  }
  return out;
}

function sequentialFromConfig(c: Record<string, unknown>, opts: DeserializeOptions, where: string): Sequential {
  if (!Array.isArray(c.layers)) fail(where, "a Sequential config needs a layers array.");
  const model = new Sequential([], { name: typeof c.name === "string" ? c.name : undefined, trainable: c.trainable !== false });
  const bs = c.batchShape;
  if (bs !== null && bs !== undefined) {
    if (!Array.isArray(bs) || bs.length < 1 || bs.some((d) => d !== null && !(Number.isInteger(d) && d >= 0))) fail(where, "batchShape must be a list of non-negative integers or null.");
    const dtype = (c.inputDtype ?? "float32") as "float32";
    guarded(where, () => model.add(Input({ shape: (bs as number[]).slice(1), batchSize: (bs as number[])[0] ?? undefined, dtype })));
  }
  (c.layers as unknown[]).forEach((l, i) => {
    const layer = deserializeLayer(l, opts);
    guarded(`${where}.layers[${i}]`, () => model.add(layer));
  });
  return model;
}

/** Runs model-building code, turning its errors into typed ones. */
function guarded<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SerializationError || e instanceof ArchiveError) throw e;
    return fail(where, (e as Error)?.message ?? String(e));
  }
}

function functionalFromConfig(c: Record<string, unknown>, opts: DeserializeOptions, where: string): Model {
  if (!Array.isArray(c.layers)) fail(where, "a Functional config needs a layers array.");
  const entries = (c.layers as unknown[]).map((e, i) => {
    if (!isPlain(e) || typeof e.name !== "string" || !Array.isArray(e.inboundNodes ?? [])) fail(`${where}.layers[${i}]`, "expected { className, config, name, inboundNodes }.");
    const { inboundNodes, name, ...rest } = e as Record<string, unknown>;
    return { name: name as string, nodes: (inboundNodes ?? []) as unknown[], layer: deserializeLayer(rest, opts) };
  });
  const byName = new Map<string, Layer>();
  const outputs = new Map<string, SymbolicTensor[]>(); // `${layer}:${node}` -> flattened outputs
  for (const e of entries) {
    if (byName.has(e.name)) fail(where, `two layers are named ${JSON.stringify(e.name)}.`);
    if (e.layer.name !== e.name) fail(where, `layer entry ${JSON.stringify(e.name)} builds a layer named ${JSON.stringify(e.layer.name)}.`);
    byName.set(e.name, e.layer);
    if (e.layer instanceof InputLayer) outputs.set(`${e.name}:0`, [e.layer.output]);
  }
  const resolve = (tree: unknown, at: string): unknown => {
    if (isRef(tree)) return outputs.get(`${tree[0]}:${tree[1]}`)?.[tree[2]] ?? null;
    if (Array.isArray(tree)) return tree.map((x, i) => resolve(x, `${at}[${i}]`));
    if (isPlain(tree)) return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, resolve(v, `${at}.${k}`)]));
    return fail(at, "expected [layerName, nodeIndex, tensorIndex] references (in lists or records).");
  };
  const ready = (x: unknown): boolean => (x === null ? false : Array.isArray(x) ? x.every(ready) : isPlain(x) ? Object.values(x).every(ready) : true);
  const done = entries.map(() => 0);
  // Apply nodes as their inputs become available; each layer's nodes in their saved order.
  for (let progress = true; progress; ) {
    progress = false;
    entries.forEach((e, i) => {
      while (done[i] < e.nodes.length) {
        const at = `${where}.layers[${i}].inboundNodes[${done[i]}]`;
        const args = resolve(e.nodes[done[i]], at);
        if (!ready(args)) return;
        const out = guarded(at, () => e.layer.apply(args));
        const flat: SymbolicTensor[] = [];
        mapTree(out, (t) => flat.push(t));
        outputs.set(`${e.name}:${done[i]}`, flat);
        done[i]++;
        progress = true;
      }
    });
  }
  const stuck = entries.findIndex((e, i) => done[i] < e.nodes.length);
  if (stuck >= 0) fail(`${where}.layers[${stuck}]`, `the inputs of layer ${JSON.stringify(entries[stuck].name)} never become available (a missing layer, a bad reference or a cycle).`);
  const io = (key: string) => {
    const t = resolve(c[key], `${where}.${key}`);
    if (!ready(t)) fail(`${where}.${key}`, "names a tensor that no layer produces.");
    return t as never;
  };
  return guarded(where, () => new Model({ inputs: io("inputLayers"), outputs: io("outputLayers"), name: typeof c.name === "string" ? c.name : undefined, trainable: c.trainable !== false }));
}

registerModelClass("Sequential", (c, o, w) => sequentialFromConfig(c, o, w));
registerModelClass("Functional", (c, o, w) => functionalFromConfig(c, o, w));

/**
 * Rebuilds a model (fresh weights) from `modelToJSON` output. Layer classes come only from the
 * registry (or `customObjects`); errors are `SerializationError` / `ArchiveError`.
 *
 * @example const copy = modelFromJSON(modelToJSON(model));
 */
export function modelFromJSON(json: unknown, opts: DeserializeOptions = {}): Model {
  validateConfig(json, {}, "model config");
  if (!isPlain(json) || (json.className !== "Sequential" && json.className !== "Functional")) {
    const name = isPlain(json) ? json.className : undefined;
    throw new SerializationError(
      name === undefined ? "BAD_CONFIG" : "UNKNOWN_CLASS",
      `modelFromJSON: expected { className: "Sequential" | "Functional", config }, received ${name === undefined ? "no className" : `className ${JSON.stringify(String(name).slice(0, 100))}`}. Subclassed models are not saved as configs; use loadWeights.`,
    );
  }
  if (!isPlain(json.config)) fail("model", "config must be an object.");
  const m = deserializeLayer(json, opts);
  return m as Model;
}
