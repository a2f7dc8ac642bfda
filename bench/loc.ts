/**
 * @file Lines of code per folder and the largest files of src/ (tinygrad's sz.py idea): keeps
 * the codebase's size visible. Fails when a non-test source file passes the hard cap.
 *
 * Run: npm run loc
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const HARD_CAP = 1000; // lines; rule tables may reach 800 (STYLE.md), nothing should pass this

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const rows = walk(join(root, "src")).map((f) => {
  const lines = readFileSync(f, "utf8").split("\n").filter((l) => l.trim() && !l.trim().startsWith("//")).length;
  return { file: relative(root, f), lines, test: f.endsWith(".test.ts") };
});
const byDir = new Map<string, { code: number; test: number }>();
for (const r of rows) {
  const d = r.file.split("/").slice(0, 2).join("/");
  const e = byDir.get(d) ?? { code: 0, test: 0 };
  if (r.test) e.test += r.lines;
  else e.code += r.lines;
  byDir.set(d, e);
}
console.log("folder".padEnd(28), "code".padStart(7), "tests".padStart(7));
for (const [d, e] of [...byDir].sort()) console.log(d.padEnd(28), String(e.code).padStart(7), String(e.test).padStart(7));
const code = rows.filter((r) => !r.test);
console.log("total".padEnd(28), String(code.reduce((a, r) => a + r.lines, 0)).padStart(7), String(rows.filter((r) => r.test).reduce((a, r) => a + r.lines, 0)).padStart(7));
console.log("\nlargest files:");
for (const r of [...code].sort((a, b) => b.lines - a.lines).slice(0, 10)) console.log(`  ${String(r.lines).padStart(5)}  ${r.file}`);
const over = code.filter((r) => r.lines > HARD_CAP);
if (over.length) {
  console.error(`\n${over.length} file(s) over ${HARD_CAP} lines: split them by concept.`);
  process.exit(1);
}
