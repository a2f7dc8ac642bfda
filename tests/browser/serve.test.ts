import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic, type StaticServer } from "./serve.js";

let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kiln-serve-"));
  mkdirSync(join(dir, "root/sub"), { recursive: true });
  writeFileSync(join(dir, "root/sub/index.html"), "<p>hi</p>");
  writeFileSync(join(dir, "root/a.js"), "export {};");
  writeFileSync(join(dir, "root/k.wasm"), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(dir, "secret.txt"), "outside");
  symlinkSync(join(dir, "secret.txt"), join(dir, "root/link.txt"));
  server = await serveStatic(join(dir, "root"));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request (no URL normalization, unlike fetch), so '..' reaches the server as sent. */
function get(path: string, method = "GET"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${server.url}x`, { method, path }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("serveStatic", () => {
  it("listens on 127.0.0.1 only", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("serves files with their MIME type and cross-origin isolation headers", async () => {
    const js = await get("/a.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(js.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect((await get("/k.wasm")).headers["content-type"]).toBe("application/wasm");
    const page = await get("/sub/");
    expect([page.status, page.headers["content-type"], page.body]).toEqual([200, "text/html; charset=utf-8", "<p>hi</p>"]);
  });

  it("refuses paths and links that leave the root, and anything but GET/HEAD", async () => {
    expect((await get("/../secret.txt")).status).toBe(404);
    expect((await get("/sub/..%2F..%2Fsecret.txt")).status).toBe(404);
    expect((await get("/link.txt")).status).toBe(404);
    expect((await get("/missing.js")).status).toBe(404);
    expect((await get("/a.js", "PUT")).status).toBe(405);
    const head = await get("/a.js", "HEAD");
    expect([head.status, head.body]).toEqual([200, ""]);
  });
});
