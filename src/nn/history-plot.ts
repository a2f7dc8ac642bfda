/**
 * @file A training history as a standalone SVG chart: one panel per metric (loss, accuracy,
 * ...), the training curve and its `val_` twin together, axes with tick labels. No
 * dependencies, so it works in Node (write the string to a file) and in browsers (set it as
 * innerHTML).
 */
import type { History } from "./callbacks.js";

export interface PlotOptions {
  /** Width of one panel in pixels. */
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Round tick values for the range [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function panel(name: string, series: [string, number[], string][], x0: number, w: number, h: number): string {
  const m = { l: 52, r: 12, t: 28, b: 36 };
  const all = series.flatMap(([, v]) => v).filter(Number.isFinite);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const n = Math.max(...series.map(([, v]) => v.length));
  const sx = (i: number) => x0 + m.l + (n > 1 ? (i / (n - 1)) * (w - m.l - m.r) : (w - m.l - m.r) / 2);
  const sy = (v: number) => m.t + (1 - (v - lo) / (hi - lo)) * (h - m.t - m.b);
  const parts: string[] = [
    `<text x="${x0 + w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(name)}</text>`,
    `<rect x="${x0 + m.l}" y="${m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(lo, hi)) {
    parts.push(`<line x1="${x0 + m.l - 4}" x2="${x0 + w - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + m.l - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="10">${t}</text>`);
  }
  for (const t of ticks(1, n, Math.min(n, 10)).filter((t) => Number.isInteger(t))) {
    parts.push(`<text x="${sx(t - 1)}" y="${h - m.b + 14}" text-anchor="middle" font-size="10">${t}</text>`);
  }
  parts.push(`<text x="${x0 + w / 2}" y="${h - 6}" text-anchor="middle" font-size="11">epoch</text>`);
  series.forEach(([label, values, color], k) => {
    const pts = values.map((v, i) => `${sx(i).toFixed(1)},${sy(v).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    values.forEach((v, i) => parts.push(`<circle cx="${sx(i).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="2.5" fill="${color}"/>`));
    parts.push(`<rect x="${x0 + m.l + 8}" y="${m.t + 8 + k * 16}" width="10" height="3" fill="${color}"/>`);
    parts.push(`<text x="${x0 + m.l + 22}" y="${m.t + 13 + k * 16}" font-size="11">${esc(label)}</text>`);
  });
  return parts.join("\n");
}

/**
 * An SVG chart of a `History` (what `fit` returns): one panel per metric, training and
 * validation curves together.
 *
 * @example writeFileSync("history.svg", plotHistory(await model.fit(x, y, { epochs: 5, validationSplit: 0.1 })));
 */
export function plotHistory(history: History | { readonly history: Record<string, readonly number[]> }, opts: PlotOptions = {}): string {
  const w = opts.width ?? 360;
  const h = opts.height ?? 260;
  const logs = history.history;
  const names = Object.keys(logs).filter((k) => !k.startsWith("val_"));
  if (names.length === 0) throw new RangeError("plotHistory: the history has no logs; fit for at least one epoch first.");
  const top = opts.title ? 24 : 0;
  const panels = names.map((name, i) => {
    const series: [string, number[], string][] = [[name, [...logs[name]], "#1f77b4"]];
    if (logs[`val_${name}`]) series.push([`val_${name}`, [...logs[`val_${name}`]], "#ff7f0e"]);
    return `<g transform="translate(0 ${top})">${panel(name, series, i * w, w, h)}</g>`;
  });
  const title = opts.title ? `<text x="${(names.length * w) / 2}" y="18" text-anchor="middle" font-size="16">${esc(opts.title)}</text>` : "";
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${names.length * w}" height="${h + top}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${title}\n${panels.join("\n")}\n</svg>\n`
  );
}
