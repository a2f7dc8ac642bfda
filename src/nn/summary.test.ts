import { beforeEach, describe, expect, it } from "vitest";
import { np, type Tracer } from "../index.js";
import "./index.js";
import { Input } from "./input-layer.js";
import * as layers from "./layers/index.js";
import { Model } from "./model.js";
import { Sequential } from "./sequential.js";
import { readableSize, summary } from "./summary.js";
import { clearSession } from "./variable.js";

beforeEach(() => clearSession());

const capture = (m: Model, opts = {}) => {
  const lines: string[] = [];
  const text = summary(m, { printFn: (l) => lines.push(l), ...opts });
  expect(lines.join("\n")).toBe(text);
  return text;
};

describe("summary", () => {
  it("prints Keras' table for a Sequential model", () => {
    const model = new Sequential([
      Input({ shape: [28, 28] }), new layers.Flatten(), new layers.Dense(128, { activation: "relu" }), new layers.Dropout(0.2), new layers.Dense(10),
    ]);
    expect(capture(model)).toBe(
      [
        'Model: "sequential"',
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
        "│ flatten (Flatten)               │ (None, 784)            │             0 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        "│ dense (Dense)                   │ (None, 128)            │       100,480 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        "│ dropout (Dropout)               │ (None, 128)            │             0 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        "│ dense_1 (Dense)                 │ (None, 10)             │         1,290 │",
        "└─────────────────────────────────┴────────────────────────┴───────────────┘",
        " Total params: 101,770 (397.54 KB)",
        " Trainable params: 101,770 (397.54 KB)",
        " Non-trainable params: 0 (0.00 B)",
      ].join("\n"),
    );
  });

  it("adds 'Connected to' for a functional graph and wraps long cells", () => {
    const a = Input({ shape: [4], name: "a" });
    const b = Input({ shape: [4], name: "b" });
    const shared = new layers.Dense(3, { name: "shared_dense_layer" });
    const frozen = new layers.Dense(2, { name: "frozen", trainable: false });
    const model = new Model({ inputs: [a, b], outputs: [shared.apply(a), frozen.apply(shared.apply(b))], name: "two" });
    expect(capture(model)).toBe(
      [
        'Model: "two"',
        "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩",
        "│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │",
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
        "│ b (InputLayer)      │ (None, 4)         │          0 │ -                 │",
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
        "│ shared_dense_layer  │ (None, 3)         │         15 │ a[0][0], b[0][0]  │",
        "│ (Dense)             │                   │            │                   │",
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
        "│ frozen (Dense)      │ (None, 2)         │          8 │ shared_dense_lay… │",
        "└─────────────────────┴───────────────────┴────────────┴───────────────────┘",
        " Total params: 23 (92.00 B)",
        " Trainable params: 15 (60.00 B)",
        " Non-trainable params: 8 (32.00 B)",
      ].join("\n"),
    );
  });

  it("a functional chain keeps three columns and lists the input layer", () => {
    const x = Input({ shape: [8], name: "pixels" });
    const model = new Model({ inputs: x, outputs: new layers.Dense(2, { name: "out" }).apply(new layers.Dense(4, { name: "hidden" }).apply(x)), name: "chain" });
    const text = capture(model, { lineLength: 60 });
    expect(text.split("\n").slice(0, 6)).toEqual([
      'Model: "chain"',
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
      "┃ Layer (type)             ┃ Output Shape     ┃    Param # ┃",
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
      "│ pixels (InputLayer)      │ (None, 8)        │          0 │",
      "├──────────────────────────┼──────────────────┼────────────┤",
    ]);
    expect(text.split("\n").slice(1, -3).every((l) => l.length === 60)).toBe(true);
    expect(text).toContain(" Total params: 46 (184.00 B)");
  });

  it("shows '?' and unbuilt layers as Keras does", () => {
    const model = new Sequential([new layers.Dense(3), new layers.Dense(1)]);
    const text = capture(model);
    expect(text).toContain("│ dense (Dense)                   │ ?                      │   0 (unbuilt) │");
    expect(text).toContain(" Total params: 0 (0.00 B)");
    class Net extends Model {
      d = new layers.Dense(2);
      override call(x: Tracer): Tracer {
        return this.d.apply(x);
      }
    }
    const net = new Net();
    net.apply(np.ones([1, 3]));
    expect(capture(net)).toContain("│ dense_2 (Dense)                 │ ?                      │             8 │");
  });

  it("formats memory sizes with Keras' units", () => {
    expect(readableSize(0)).toBe("0.00 B");
    expect(readableSize(1023)).toBe("1023.00 B");
    expect(readableSize(407080)).toBe("397.54 KB");
    expect(readableSize(3 * 1024 ** 3)).toBe("3.00 GB");
  });
});
