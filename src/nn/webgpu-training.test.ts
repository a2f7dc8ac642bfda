import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, memory, np, random, setBackend } from "../index.js";
import type { Tracer } from "../trace/core.js";
import { Input, Sequential, clearSession, layers } from "./index.js";
import { startWebGPU } from "../../tests/helpers/webgpu.js";

beforeAll(async () => {
  await startWebGPU();
});
afterAll(() => setBackend("reference"));

/** The same small convnet (conv, pooling, dropout, dense) with the same initial weights on every call. */
function convnet() {
  clearSession();
  const model = new Sequential([
    Input({ shape: [8, 8, 1] }),
    new layers.Conv2D(4, [3, 3], { activation: "relu", kernelInitializer: { className: "GlorotUniform", config: { seed: 3 } } }),
    new layers.MaxPooling2D([2, 2]),
    new layers.Flatten(),
    new layers.Dropout(0.25, { seed: 5 }),
    new layers.Dense(3, { activation: "softmax", kernelInitializer: { className: "GlorotUniform", config: { seed: 4 } } }),
  ]);
  model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  return model;
}

const data = () => {
  const x = random.uniform(random.key(1), [48, 8, 8, 1]);
  const y = np.array(Array.from({ length: 48 }, (_, i) => i % 3), { dtype: "int32" });
  return [x, y] as const;
};

const close = (a: readonly number[], b: readonly number[], rtol: number) =>
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `element ${i}: ${v} vs ${b[i]}`).toBeLessThanOrEqual(rtol * (1 + Math.abs(b[i]))));

describe("Keras models on the webgpu backend", () => {
  it("train to the same history as on wasm (conv, pooling, dropout, dense, adam)", async () => {
    await setBackend("wasm");
    const cpuModel = convnet();
    const [cx, cy] = data();
    const cpu = await cpuModel.fit(cx, cy, { epochs: 3, batchSize: 16, verbose: 0, seed: 7, validationSplit: 0.25 });
    const cpuEval = cpuModel.evaluate(cx, cy, { verbose: 0 }) as number[];

    await setBackend("webgpu");
    const gpuModel = convnet();
    const [gx, gy] = data();
    expect((gx as Tracer & { backend: { name: string } }).backend.name).toBe("webgpu");
    const gpu = await gpuModel.fit(gx, gy, { epochs: 3, batchSize: 16, verbose: 0, seed: 7, validationSplit: 0.25 });
    for (const k of ["loss", "accuracy", "val_loss", "val_accuracy"]) close(gpu.history[k], cpu.history[k], 1e-4);
    close((await gpuModel.evaluateAsync(gx, gy, { verbose: 0 })) as number[], cpuEval, 1e-4);
    const p = gpuModel.predict(gx, { verbose: 0 }) as Tracer;
    const q = cpuModel.predict(cx, { verbose: 0 }) as Tracer;
    close(Array.from(await p.data()), Array.from(q.dataSync()), 1e-4);
    [cx, cy, gx, gy, p, q].forEach((t) => t.dispose());
  });

  it("switch a trained model between wasm and webgpu with one call, and explain the synchronous reads it cannot do", async () => {
    await setBackend("wasm");
    const model = convnet();
    const [x, y] = data();
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, seed: 1 });
    const before = model.evaluate(x, y, { verbose: 0 }) as number[];

    await setBackend("webgpu");
    const [gx, gy] = data();
    // The weights (and the optimizer state) follow the data to the GPU.
    close((await model.evaluateAsync(gx, gy, { verbose: 0 })) as number[], before, 1e-4);
    expect(() => model.evaluate(gx, gy, { verbose: 0 })).toThrow(/evaluateAsync/);
    await model.fit(gx, gy, { epochs: 1, batchSize: 16, verbose: 0, seed: 2 });
    const onGpu = (await model.evaluateAsync(gx, gy, { verbose: 0 })) as number[];

    await setBackend("wasm");
    expect(() => model.evaluate(x, y, { verbose: 0 })).toThrow(/await model\.toBackend\("wasm"\)/);
    await model.toBackend("wasm");
    close(model.evaluate(x, y, { verbose: 0 }) as number[], onGpu, 1e-4);
    [x, y, gx, gy].forEach((t) => t.dispose());
  });

  it("keeps GPU memory flat over many training steps", async () => {
    await setBackend("webgpu");
    const model = convnet();
    const [x, y] = data();
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, seed: 1 });
    const gpuBackend = getBackend();
    const before = memory();
    await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, seed: 2 });
    expect(memory()).toEqual(before);
    expect(getBackend()).toBe(gpuBackend);
    [x, y].forEach((t) => t.dispose());
  });
});
