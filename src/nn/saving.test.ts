import * as fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { propertyRuns } from "../../tests/helpers/assert.js";
import { memory, np, random, treeLeaves, type Tracer } from "../index.js";
import * as optimizers from "../optim/keras-optimizers.js";
import { ArchiveError, readArchive, writeArchive, type JsonValue } from "../io/index.js";
import "./index.js";
import { Input } from "./input-layer.js";
import { Layer, type LayerConfig } from "./layer.js";
import * as layers from "./layers/index.js";
import { Model } from "./model.js";
import { SerializationError, deserializeLayer, registerLayer, serializeLayer } from "./registry.js";
import {
  loadModel, loadModelFromBytes, loadWeights, modelArchiveContents, modelFromJSON, modelToJSON, saveModel, saveModelToBytes, saveWeights,
} from "./saving.js";
import { roundTrip } from "./saving-testkit.js";
import { Sequential } from "./sequential.js";
import { setRandomSeed } from "./call-context.js";
import { clearSession, type Variable } from "./variable.js";

const dir = mkdtempSync(join(tmpdir(), "kiln-saving-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const mlp = () =>
  new Sequential([
    Input({ shape: [3, 2] }), new layers.Flatten(), new layers.Dense(5, { activation: "relu", kernelInitializer: "he_normal" }),
    new layers.Dropout(0.3), new layers.Dense(2, { activation: "softmax" }),
  ]);
const x6 = () => random.normal(random.key(1), [4, 3, 2]);

/** Two inputs, a shared layer, two outputs (a list), a nested Sequential. */
function functional(): Model {
  const a = Input({ shape: [4], name: "a" });
  const b = Input({ shape: [4], name: "b" });
  const shared = new layers.Dense(3, { activation: "tanh", name: "shared" });
  const inner = new Sequential([Input({ shape: [3] }), new layers.Dense(2, { name: "inner_dense" })], { name: "inner" });
  const ha = shared.apply(a);
  const hb = shared.apply(b);
  const out1 = inner.apply(ha);
  const out2 = new layers.Dense(1, { name: "head", useBias: false }).apply(new layers.Dropout(0.5, { name: "drop" }).apply(hb));
  return new Model({ inputs: [a, b], outputs: [out1, out2], name: "two_tower" });
}
const xs = () => [random.normal(random.key(2), [3, 4]), random.normal(random.key(3), [3, 4])];

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof SerializationError || e instanceof ArchiveError) return e.code;
    throw e;
  }
  return "ok";
};

describe("model configs and archives", () => {
  it("Sequential round-trips with identical predictions and the same config", () => {
    const model = mlp();
    const loaded = roundTrip(model, x6());
    expect(modelToJSON(loaded)).toEqual(modelToJSON(model));
    expect(loaded.layers.map((l) => l.className)).toEqual(["Flatten", "Dense", "Dropout", "Dense"]);
  });

  it("functional models (shared layer, nested model, two outputs) round-trip", () => {
    const model = functional();
    const loaded = roundTrip(model, xs());
    expect(modelToJSON(loaded)).toEqual(modelToJSON(model));
    const cfg = modelToJSON(model).config as { layers: { name: string; inboundNodes: unknown[] }[] };
    expect(cfg.layers.find((l) => l.name === "shared")!.inboundNodes).toEqual([["a", 0, 0], ["b", 0, 0]]);
    expect(cfg.layers.find((l) => l.name === "drop")!.inboundNodes).toEqual([["shared", 1, 0]]);
  });

  it("saveModel / loadModel go through a .kiln file", () => {
    const model = mlp();
    const path = join(dir, "mlp.kiln");
    saveModel(model, path);
    const loaded = loadModel(path);
    expect(Array.from(loaded.predict(x6()).dataSync())).toEqual(Array.from(model.predict(x6()).dataSync()));
    expect(() => saveModel(model, join(dir, "mlp.h5"))).toThrow(/must end in "\.kiln"/);
  });

  it("modelFromJSON rebuilds the structure with fresh weights", () => {
    const model = functional();
    const copy = modelFromJSON(JSON.parse(JSON.stringify(modelToJSON(model))));
    expect(copy.variableEntries().map((e) => [e.path, e.variable.shape])).toEqual(model.variableEntries().map((e) => [e.path, e.variable.shape]));
  });

  it("saves weights under their variable paths and is deterministic", () => {
    const model = mlp();
    const c = modelArchiveContents(model);
    expect([...(c.weights as Map<string, unknown>).keys()]).toEqual(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]);
    expect(saveModelToBytes(model)).toEqual(saveModelToBytes(model));
  });

  it("restores the compile config and the optimizer state", async () => {
    // The trainer hooks saving.ts reads (compileOptions, get/setOptimizerState) are emulated
    // here when the Trainer does not have them yet.
    const proto = Object.getPrototypeOf(mlp().trainer);
    const real = "getOptimizerState" in proto;
    const store = new WeakMap<object, { opts?: unknown; state?: unknown }>();
    const saved = { compile: proto.compile };
    if (!real) {
      proto.compile = function (this: object, o: unknown) {
        saved.compile.call(this, o);
        store.set(this, { opts: o });
      };
      Object.defineProperty(proto, "compileOptions", { get() { return store.get(this)?.opts ?? null; }, configurable: true });
      proto.getOptimizerState = function (this: object) { return store.get(this)?.state ?? null; };
      proto.setOptimizerState = function (this: object, s: unknown) { store.get(this)!.state = s; };
    }
    try {
      const model = mlp();
      model.compile({ optimizer: new optimizers.Adam(0.01), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
      const x = x6();
      const y = np.array([0, 1, 1, 0], { dtype: "int32" });
      if (real) await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
      else {
        const opt = model.trainer.optimizer;
        const p = model.paramsAndState()[0];
        const grads = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, np.onesLike(v)]));
        (model.trainer as any).setOptimizerState(opt.statelessApply(opt.init(p), grads, p)[1]);
      }
      const bytes = saveModelToBytes(model);
      const names = [...(readArchive(bytes).optimizer?.tensors.keys() ?? [])];
      expect(names).toContain("count");
      expect(names.filter((n) => /^(momentums|velocities)\/dense_\d+\/(kernel|bias)$/.test(n)).length).toBe(8);
      const loaded = loadModelFromBytes(bytes);
      expect(loaded.trainer.isCompiled).toBe(true);
      const leaves = (m: Model) => treeLeaves((m.trainer as any).getOptimizerState()).map((l) => Array.from((l as Tracer).dataSync()));
      expect(leaves(loaded)).toEqual(leaves(model));
      expect(loaded.evaluate(x, y)).toEqual(model.evaluate(x, y));
      expect(loadModelFromBytes(bytes, { compile: false }).trainer.isCompiled).toBe(false);
      expect(readArchive(saveModelToBytes(model, { includeOptimizer: false })).optimizer).toBeUndefined();
    } finally {
      if (!real) {
        proto.compile = saved.compile;
        delete proto.compileOptions;
        delete proto.getOptimizerState;
        delete proto.setOptimizerState;
      }
    }
  });
});

class Scale extends Layer {
  w!: Variable;
  constructor(readonly factor: number, opts: LayerConfig = {}) {
    super(opts);
  }
  override build(shape: (number | null)[]): void {
    this.w = this.addWeight("w", [shape.at(-1)!], { initializer: "ones" });
  }
  call(x: Tracer): Tracer {
    return x.mul(this.w.value).mul(this.factor);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: this.factor };
  }
  static fromConfig(c: LayerConfig): Scale {
    return new Scale(c.factor as number, c);
  }
}
class Unregistered extends Scale {
  static override fromConfig(c: LayerConfig): Unregistered {
    return new Unregistered(c.factor as number, c);
  }
}

describe("registry and custom layers", () => {
  it("a registered custom layer round-trips; an unregistered one cannot be saved", () => {
    const x = np.ones([2, 3]);
    const bad = new Sequential([Input({ shape: [3] }), new Unregistered(2)]);
    expect(codeOf(() => saveModelToBytes(bad))).toBe("NOT_SERIALIZABLE");
    registerLayer(Scale);
    const model = new Sequential([Input({ shape: [3] }), new Scale(3), new layers.Dense(2)]);
    model.layers[0].setWeights([np.array([1, 2, 3])]);
    roundTrip(model, x);
  });

  it("customObjects rebuild classes that are not registered", () => {
    const json = { className: "Unregistered", config: { name: "u", factor: 2, trainable: true, dtype: "float32" } };
    expect(codeOf(() => deserializeLayer(json))).toBe("UNKNOWN_CLASS");
    expect(deserializeLayer(json, { customObjects: { Unregistered } })).toBeInstanceOf(Unregistered);
  });

  it("serializeLayer revives initializers, regularizers and constraints", () => {
    const d = new layers.Dense(4, { kernelInitializer: "glorot_normal", kernelRegularizer: "l2", biasConstraint: "non_neg" });
    const json = JSON.parse(JSON.stringify(serializeLayer(d)));
    const copy = deserializeLayer(json) as layers.Dense;
    expect(serializeLayer(copy)).toEqual(serializeLayer(d));
    copy.apply(np.ones([1, 2]));
    expect(copy.kernel.regularizer).not.toBeNull();
  });

  it("an activation given as a function cannot be saved", () => {
    const d = new layers.Dense(2, { activation: (t: Tracer) => t.mul(2) });
    expect(codeOf(() => serializeLayer(d))).toBe("NOT_SERIALIZABLE");
  });

  it("subclassed models save weights only", () => {
    class Net extends Model {
      d1 = new layers.Dense(4, { activation: "relu" });
      d2 = new layers.Dense(1);
      override call(x: Tracer): Tracer {
        return this.d2.apply(this.d1.apply(x));
      }
    }
    const a = new Net();
    const x = np.ones([2, 3]);
    const ya = a.apply(x);
    expect(() => saveModelToBytes(a)).toThrow(/saveWeights/);
    const path = join(dir, "net.weights.safetensors");
    saveWeights(a, path);
    const b = new Net();
    b.apply(x);
    loadWeights(b, path);
    expect(Array.from(b.apply(x).dataSync())).toEqual(Array.from(ya.dataSync()));
    const other = new Sequential([Input({ shape: [3] }), new layers.Dense(5)]);
    expect(codeOf(() => loadWeights(other, path))).toBe("WEIGHT_MISMATCH");
  });
});

/** A valid Sequential archive's parts, to edit into hostile ones. */
const parts = () => {
  const c = modelArchiveContents(new Sequential([Input({ shape: [2] }), new layers.Dense(3)]));
  return { config: JSON.parse(JSON.stringify(c.config)) as Record<string, any>, weights: c.weights };
};
const load = (config: unknown, weights: ReturnType<typeof parts>["weights"]) => loadModelFromBytes(writeArchive({ config: config as JsonValue, weights }));

describe("hostile archives and configs", () => {
  it("unknown layer classes are refused with the known ones listed", () => {
    const { config, weights } = parts();
    config.config.layers[0].className = "EvilLayer";
    expect(() => load(config, weights)).toThrow(/unknown layer class "EvilLayer". Known classes: .*Dense/);
    for (const name of ["constructor", "__proto__", "toString", "Function", "eval", "Layer", "hasOwnProperty"]) {
      config.config.layers[0].className = name;
      expect(codeOf(() => load(config, weights))).toMatch(/UNKNOWN_CLASS|BAD_JSON/);
    }
  });

  it("configs naming functions are refused and nothing runs", () => {
    const { config, weights } = parts();
    for (const act of ["function () { globalThis.pwned = 1 }", "(x) => { globalThis.pwned = 1 }", "class X { }"]) {
      config.config.layers[0].config.activation = act;
      expect(codeOf(() => load(config, weights))).toBe("CODE_IN_CONFIG");
    }
    config.config.layers[0] = { class_name: "__lambda__", config: { code: "x" } };
    expect(codeOf(() => load(config, weights))).toBe("CODE_IN_CONFIG");
    expect(codeOf(() => deserializeLayer({ className: "Dense", config: { units: 2, activation: () => 1 } }))).toBe("CODE_IN_CONFIG");
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });

  it("huge declared shapes fail before anything big is allocated", () => {
    const { config, weights } = parts();
    const before = memory().bytes;
    const t0 = performance.now();
    config.config.layers[0].config.units = 1_000_000_000;
    expect(codeOf(() => load(config, weights))).toBe("WEIGHT_MISMATCH");
    config.config.layers[0].config.units = 3;
    config.config.batchShape = [null, 2 ** 30];
    expect(codeOf(() => load(config, weights))).toBe("WEIGHT_MISMATCH");
    config.config.batchShape = [null, 1e15, 1e15];
    expect(codeOf(() => load(config, weights))).toMatch(/WEIGHT_MISMATCH|BAD_CONFIG/);
    expect(memory().bytes - before).toBeLessThan(1 << 16);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("mismatched weights are listed by name, shape and dtype", () => {
    const { config, weights } = parts();
    const w = new Map(weights as Map<string, any>);
    w.set("dense/kernel", { dtype: "float32", shape: [3, 2], data: new Float32Array(6) });
    w.set("extra", { dtype: "int32", shape: [1], data: new Int32Array(1) });
    expect(() => load(config, w)).toThrow(/'dense\/kernel': the model has float32\[2,3\], the file float32\[3,2\].*unexpected 'extra'/);
    w.delete("extra");
    w.set("dense/bias_renamed", w.get("dense/bias"));
    w.delete("dense/bias");
    w.set("dense/kernel", { dtype: "int32", shape: [2, 3], data: new Int32Array(6) });
    expect(() => load(config, w)).toThrow(/the model has float32\[2,3\], the file int32\[2,3\].*missing 'dense\/bias'.*unexpected 'dense\/bias_renamed'/);
  });

  it("fuzz: mutated configs give a typed error or a valid model, never anything else", () => {
    const { config, weights } = parts();
    const text = JSON.stringify(config);
    const value = fc.oneof(
      fc.constantFrom<JsonValue>(null, true, -1, 0, 1e9, 2 ** 31, 1.5, "", "relu", "Dense", "__proto__", "() => 1", [], {}, [null, 1e12], { className: "Evil", config: {} }),
      fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), value), { minLength: 1, maxLength: 4 }), (edits) => {
        const c = JSON.parse(text);
        for (const [pick, v] of edits) {
          // Replace one value somewhere in the config tree.
          const slots: [any, string | number][] = [];
          const walk = (o: any) => {
            if (o && typeof o === "object") for (const k of Object.keys(o)) (slots.push([o, Array.isArray(o) ? Number(k) : k]), walk(o[k]));
          };
          walk(c);
          const [o, k] = slots[pick % slots.length];
          o[k] = v;
        }
        const code = codeOf(() => load(c, weights));
        expect(["ok", "UNKNOWN_CLASS", "BAD_CONFIG", "WEIGHT_MISMATCH", "CODE_IN_CONFIG", "BAD_JSON", "NOT_SERIALIZABLE"]).toContain(code);
      }),
      { numRuns: propertyRuns(60), seed: 7 },
    );
  });

  it("fuzz: corrupted archive bytes give a typed error", () => {
    const good = saveModelToBytes(mlp());
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, truncate) => {
        const bytes = truncate ? good.slice(0, at % good.length) : good.slice();
        if (!truncate) bytes[at % bytes.length] = byte;
        const code = codeOf(() => loadModelFromBytes(bytes));
        expect(code).toMatch(/^(ok|TRUNCATED|BAD_ZIP|BAD_CHECKSUM|BAD_JSON|BAD_HEADER|TOO_LARGE|UNKNOWN_ENTRY|MISSING_ENTRY|DUPLICATE_KEY|BAD_VERSION|BAD_DTYPE|CODE_IN_CONFIG|UNKNOWN_CLASS|BAD_CONFIG|WEIGHT_MISMATCH)$/);
      }),
      { numRuns: propertyRuns(60), seed: 11 },
    );
  });

  it("the archive written is readable by the io layer as documented", () => {
    const data = readArchive(saveModelToBytes(mlp()));
    expect((data.config as { className: string }).className).toBe("Sequential");
    expect([...data.weights.tensors.keys()].sort()).toEqual(["dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel"]);
  });
});
