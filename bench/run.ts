/**
 * @file `npm run bench`: runs Kiln and its peers (jax-js, tfjs-backend-wasm) side by side, one
 * child process per library so no library's allocator, JIT warm-up or wasm memory can slow
 * another, and prints one table with time ratios. Each child reports JSON lines
 * (bench/harness.ts); this parent enforces a per-workload time limit by killing a child that
 * overruns and restarting it on the remaining workloads.
 *
 * Run: npm run bench [-- --quick --only=matmul,mlp-step --limit=SECONDS --libs=kiln,jax-js --backend=wasm]
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { buildKiln, coldStart } from "./cold.js";
import { DERIVED, parseOptions, selected, sizesFor, workloads } from "./inputs.js";
import { progress, runChildProcess } from "./spawn.js";
import { type Meta, type Result, renderTable } from "./table.js";

/** The libraries, in table column order; Kiln first, ratios are relative to it. */
const LIBS = [
  { name: "kiln", title: "Kiln", file: "bench/lib-kiln.ts" },
  { name: "jax-js", title: "jax-js", file: "bench/lib-jax.ts" },
  { name: "tfjs-wasm", title: "tfjs-wasm", file: "bench/lib-tfjs.ts" },
] as const;

const argv = process.argv.slice(2);
const opts = parseOptions(argv);
const libsArg = argv.find((a) => a.startsWith("--libs="))?.slice(7).split(",");
const jsonOut = argv.find((a) => a.startsWith("--json="))?.slice(7);
const libs = LIBS.filter((l) => !libsArg || libsArg.includes(l.name));
if (libs.length === 0) throw new RangeError(`bench: --libs matched no library; expected some of ${LIBS.map((l) => l.name).join(", ")}.`);

const sizes = sizesFor(opts.quick);
const specs = [...workloads(sizes), ...DERIVED];
const chosen = specs.filter((w) => selected(w.id, opts.only));
if (chosen.length === 0) throw new RangeError(`bench: --only matched no workload; ids are ${specs.map((w) => w.id).join(", ")}.`);
// The compile-time row is the MLP step's first call minus its steady-state call.
const childIds = workloads(sizes)
  .filter((w) => selected(w.id, opts.only) || (w.id === "mlp-step" && chosen.some((c) => c.id === "mlp-jit-compile")))
  .map((w) => w.id);

const modeArgs = [...(opts.quick ? ["--quick"] : []), ...(opts.backend ? [`--backend=${opts.backend}`] : [])];

/** Runs every selected workload of one library, restarting the child after a timeout or crash. */
async function runLibrary(lib: (typeof LIBS)[number], meta: Meta[], results: Result[]): Promise<void> {
  let remaining = [...childIds];
  while (remaining.length > 0) {
    const args = ["--import", "tsx", lib.file, "--child", ...modeArgs, `--only=${remaining.join(",")}`];
    const o = await runChildProcess(args, opts.limitS, true);
    for (const m of o.messages) {
      if (m.kind === "meta" && !meta.some((x) => x.lib === m.lib)) meta.push(m);
      if (m.kind === "result") {
        results.push(m);
        remaining = remaining.filter((id) => id !== m.id);
      }
    }
    const stuck = o.timedOut ?? o.crashed?.split(":")[0];
    if (!stuck) break;
    const reason = o.timedOut ? `over the ${opts.limitS} s limit` : (o.crashed ?? "crashed");
    const failed = stuck === "(startup)" ? remaining : [stuck];
    for (const id of failed) results.push({ kind: "result", lib: lib.name, id, status: o.timedOut ? "timeout" : "error", reason });
    progress(`  ${lib.name} ${failed.join(", ")}: ${reason}`);
    remaining = remaining.filter((id) => !failed.includes(id));
  }
}

const meta: Meta[] = [];
const results: Result[] = [];
const started = performance.now();
const load = loadavg().map((x) => x.toFixed(2)).join(" ");
progress(`bench: ${chosen.map((w) => w.id).join(", ")}; ${libs.map((l) => l.name).join(", ")}; limit ${opts.limitS} s per workload${opts.quick ? "; quick" : ""}`);
for (const lib of libs) {
  progress(`${lib.title}:`);
  if (childIds.length > 0) await runLibrary(lib, meta, results);
}
if (chosen.some((w) => w.id === "cold-start")) {
  progress("cold start:");
  let kilnIndex = "";
  try {
    if (libs.some((l) => l.name === "kiln")) kilnIndex = await buildKiln();
  } catch (e) {
    results.push({ kind: "result", lib: "kiln", id: "cold-start", status: "error", reason: `building src/ for the cold start failed: ${String(e).split("\n")[0]}` });
  }
  for (const lib of libs) {
    if (lib.name === "kiln" && !kilnIndex) continue;
    results.push(await coldStart(lib.name, opts.quick ? 1 : 3, opts.limitS, kilnIndex, opts.backend));
  }
}

const cpu = cpus();
const header = [
  `Node ${process.version}, ${cpu[0]?.model ?? "unknown CPU"} (${cpu.length} cores), load average at start ${load}`,
  `${opts.quick ? "quick run" : "full run"}, ${((performance.now() - started) / 1000).toFixed(0)} s; medians after warm-up; ratio = peer time / Kiln time (> 1: Kiln faster)`,
];
console.log(renderTable({ header, libs: libs.map((l) => ({ name: l.name, title: l.title })), specs: chosen, meta, results }));
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ options: opts, meta, results }, null, 2)}\n`);
