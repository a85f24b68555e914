import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "../../src/server/node-server.js";
import { api, finished, readEvents, submit, testServer } from "./helpers.js";

const QUICK = 'name: quick\nsteps:\n  a:\n    language: lua\n    code: "function run() return 1 end"\n';

describe("sandflow serve security options", () => {
  it("needs the bearer token on every API request when it has one (401 otherwise)", async () => {
    const server = await testServer({ token: "s3cret-token", engine: { threads: 1 } });
    try {
      const none = await api(server, "GET", "/api/runs");
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect(none.body.error.name).toBe("Unauthorized");
      expect(
        (await api(server, "GET", "/api/runs", undefined, { Authorization: "Bearer s3cret-tokem" })).status,
      ).toBe(401);
      expect(
        (await api(server, "GET", "/api/runs", undefined, { Authorization: "Bearer s3cret" })).status,
      ).toBe(401);
      expect((await api(server, "POST", "/api/runs", { workflow: QUICK })).status).toBe(401);
      expect((await api(server, "GET", "/api/openapi.json")).status).toBe(401);
      const auth = { Authorization: "Bearer s3cret-token" };
      expect((await api(server, "GET", "/api/runs", undefined, auth)).status).toBe(200);
      const run = await api(server, "POST", "/api/runs", { workflow: QUICK }, auth);
      expect(run.status).toBe(201);
      await expect(readEvents(server, run.body.runId)).rejects.toThrow(/401/);
      const events = await readEvents(server, run.body.runId, { headers: auth });
      expect(events.at(-1)?.type).toBe("run-finished");
    } finally {
      await server.close();
    }
  });

  it("answers on any loopback address it listens on", async () => {
    const server = await testServer({ host: "127.0.0.2", engine: { threads: 1 } });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      expect((await api(server, "GET", "/api/runs")).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("refuses to listen beyond loopback without a token", async () => {
    await expect(startServer({ host: "0.0.0.0", port: 0 })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without a token/,
    );
  });

  it("refuses wasm modules named by path over HTTP (an inline data: module runs)", async () => {
    const server = await testServer({ engine: { threads: 1 } });
    try {
      const res = await api(server, "POST", "/api/runs", {
        workflow: { steps: { w: { language: "wasm", module: "workflows/wasi/wordcount.wasm" } } },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe("steps.w.module");
      expect(res.body.error.issues[0].message).toContain("--workflows DIR");
    } finally {
      await server.close();
    }
  });

  it("reads file steps from the --workflows folder only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandflow-wf-"));
    mkdirSync(join(dir, "steps"));
    writeFileSync(join(dir, "steps", "hello.lua"), "function run() return 'from a file' end");
    const server = await testServer({ workflows: dir, engine: { threads: 1 } });
    try {
      const runId = await submit(server, { steps: { a: { language: "lua", file: "steps/hello.lua" } } });
      expect((await finished(server, runId)).steps.a.output).toBe("from a file");
      const outside = await api(server, "POST", "/api/runs", {
        workflow: { steps: { a: { language: "lua", file: "../etc/passwd" } } },
      });
      expect(outside.status).toBe(400);
      const missing = await api(server, "POST", "/api/runs", {
        workflow: { steps: { a: { language: "lua", file: "steps/none.lua" } } },
      });
      expect(missing.status).toBe(400);
      expect(missing.body.error.issues[0].message).toContain("no such file");
    } finally {
      await server.close();
    }
  });
});
