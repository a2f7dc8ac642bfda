/**
 * @file Runs one benchmark child process and collects its JSON lines (bench/harness.ts), with a
 * watchdog: when a workload runs past the limit with no result, the child is killed and the
 * caller is told which workload overran, so one slow library never hangs the whole run.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LINE_PREFIX, type Message } from "./harness.js";

/** The repository root: children run there so `--import tsx` and node_modules resolve. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface ChildOutcome {
  messages: Message[];
  /** The workload that overran the limit ("(startup)" before the first one started). */
  timedOut?: string;
  /** "<workload>: exit <code>: <first error line>" when the child died on its own. */
  crashed?: string;
}

export const progress = (s: string) => process.stderr.write(`${s}\n`);

/**
 * Runs `node ...nodeArgs` in the repository root. `echo` prints each result as it arrives.
 *
 * @example await runChildProcess(["--import", "tsx", "bench/lib-kiln.ts", "--child"], 60, true)
 */
export function runChildProcess(nodeArgs: string[], limitS: number, echo: boolean): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const out: ChildOutcome = { messages: [] };
    let current: string | undefined;
    let stderr = "";
    let buffered = "";
    let timer: NodeJS.Timeout | undefined;
    // The clock restarts at each workload, so the limit applies per workload, not per child;
    // start-up (imports, wasm compilation) gets its own minute on top.
    const arm = (extraS = 0) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        out.timedOut = current ?? "(startup)";
        child.kill("SIGKILL");
      }, (limitS + extraS) * 1000);
    };
    arm(60);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith(LINE_PREFIX)) continue;
        const m = JSON.parse(line.slice(LINE_PREFIX.length)) as Message;
        out.messages.push(m);
        if (m.kind === "start") {
          current = m.id;
          arm();
        } else if (m.kind === "result") {
          current = undefined;
          if (echo) progress(`  ${m.lib} ${m.id}: ${m.status === "ok" ? `${m.medianMs?.toFixed(3)} ms` : `${m.status} (${m.reason})`}`);
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (!out.timedOut && code !== 0) {
        const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("at "));
        const first = lines.find((l) => /^\w*(Error|Exception)\b/.test(l)) ?? lines.at(-1) ?? "";
        out.crashed = `${current ?? "(startup)"}: exit ${code}: ${first}`.slice(0, 240);
      }
      resolve(out);
    });
  });
}
