import { describe, expect, it } from "vitest";
import { plotHistory } from "./history-plot.js";

describe("plotHistory", () => {
  const h = { history: { loss: [1, 0.5, 0.25], accuracy: [0.5, 0.8, 0.9], val_loss: [1.1, 0.7, 0.6], val_accuracy: [0.4, 0.7, 0.85] } };

  it("draws one panel per metric with its validation twin", () => {
    const svg = plotHistory(h, { title: "MNIST <cnn>" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(">loss<");
    expect(svg).toContain(">val_accuracy<");
    expect(svg).toContain("MNIST &lt;cnn&gt;");
    expect(svg.match(/<polyline/g)?.length).toBe(4);
    expect(svg).toContain('width="720"');
  });

  it("maps the best value to the top of its panel", () => {
    const svg = plotHistory({ history: { loss: [2, 1] } }, { height: 200 });
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[0]).toBeLessThan(ys[1]); // 2 is higher on screen than 1
  });

  it("refuses an empty history", () => {
    expect(() => plotHistory({ history: {} })).toThrow(/no logs/);
  });
});
