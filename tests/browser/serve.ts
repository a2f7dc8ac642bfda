/**
 * @file A static, read-only HTTP server for the browser example and its test: serves a folder
 * (the repository root, so pages can load the built package from /dist/) on 127.0.0.1 only, with
 * the cross-origin isolation headers that give pages SharedArrayBuffer and shared wasm memory.
 *
 * Run: npx tsx tests/browser/serve.ts [port]   then open http://127.0.0.1:<port>/examples/browser/
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

/** A running server: its base URL (ending in "/") and a way to stop it. */
export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Maps a request path to a file under root, or null when it is malformed or escapes root. */
async function resolveFile(root: string, urlPath: string): Promise<string | null> {
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(urlPath, "http://x").pathname);
  } catch {
    return null;
  }
  if (rel.includes("\0")) return null;
  let file = resolve(root, "." + rel);
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    // Symbolic links must not lead out of root either.
    const real = await realpath(file);
    if (real !== root && !real.startsWith(root + sep)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return reply(res, 405, "read-only server: GET and HEAD only\n");
  }
  const file = await resolveFile(root, req.url ?? "/");
  if (!file) return reply(res, 404, "not found\n");
  const size = (await stat(file)).size;
  res.writeHead(200, {
    "Content-Type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Content-Length": size,
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(file).on("error", () => res.destroy()).pipe(res);
}

/**
 * Serves `root` read-only on 127.0.0.1 (port 0: a free one the OS picks).
 *
 * @example const server = await serveStatic(repoRoot); await page.goto(server.url + "examples/browser/");
 */
export async function serveStatic(root: string, port = 0): Promise<StaticServer> {
  const base = await realpath(resolve(root));
  const server = createServer((req, res) => {
    handle(base, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, "internal error\n");
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  const server = await serveStatic(repo, Number(process.argv[2] ?? 8080));
  console.log(`serving ${repo} read-only at ${server.url}; the example page: ${server.url}examples/browser/`);
}
