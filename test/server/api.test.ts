import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/node-server.js";
import { startServer } from "../../src/server/node-server.js";
import { api, finished, readEvents, submit, testServer, until } from "./helpers.js";

const root = new URL("../../", import.meta.url).pathname;
const reportSchema = JSON.parse(readFileSync(`${root}schemas/run-report.schema.json`, "utf8"));
const validateReport = new Ajv2020({ strict: false }).compile(reportSchema);

const QUICK = `
name: quick
steps:
  first:
    language: lua
    code: |
      function run()
        print("hello from first")
        return { n = 2 }
      end
  second:
    language: shell
    depends_on: [first]
    code: |
      echo "second sees $(cat /dev/stdin | head -c 200)"
      echo '{"done": true}'
`;

const SLOW = `
name: slow
steps:
  tick:
    language: shell
    code: |
      for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.3; done
      echo '"ticked"'
  after:
    language: lua
    depends_on: [tick]
    code: "function run(inputs) return inputs.tick end"
`;

const SLEEPY = `
name: sleepy
steps:
  nap:
    language: shell
    code: sleep 60
`;

const FAILING = `
name: failing
steps:
  ok:
    language: lua
    code: "function run() return 'fine' end"
  broken:
    language: lua
    code: "function run() error('bad input') end"
  downstream:
    language: lua
    depends_on: [broken]
    code: "function run() return 1 end"
`;

describe("sandflow serve API", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await testServer({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs a submitted workflow: 201 runId, the report by id and by prefix, the runs list", async () => {
    const runId = await submit(server, QUICK);
    const report = await finished(server, runId);
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(report.status).toBe("succeeded");
    expect(report.steps.first.stdout).toContain("hello from first");
    expect(report.steps.second.output).toEqual({ done: true });
    const byPrefix = await api(server, "GET", `/api/runs/${runId.slice(0, 8)}`);
    expect(byPrefix.status).toBe(200);
    expect(byPrefix.body.runId).toBe(runId);
    const list = await api(server, "GET", "/api/runs?status=succeeded&limit=5");
    expect(list.status).toBe(200);
    expect(list.body.runs[0]).toEqual({
      runId,
      workflow: "quick",
      status: "succeeded",
      startedAt: report.startedAt,
      finishedAt: expect.any(Number),
    });
    expect((await api(server, "GET", "/api/runs?status=failed")).body.runs).toEqual([]);
  });

  it("takes the workflow as an object too", async () => {
    const runId = await submit(server, {
      name: "object",
      steps: { only: { language: "lua", code: "function run() return 42 end" } },
    });
    const report = await finished(server, runId);
    expect(report.steps.only.output).toBe(42);
  });

  it("streams events with sequence ids; a client reconnecting with Last-Event-ID misses nothing", async () => {
    const runId = await submit(server, SLOW);
    // Drop the connection after a few events, while the run goes on, then reconnect.
    const head = await readEvents(server, runId, { stopAfter: 3 });
    expect(head.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(head[0]?.type).toBe("run-started");
    const tail = await readEvents(server, runId, { lastEventId: 3 });
    const all = await readEvents(server, runId);
    expect([...head, ...tail].map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.type).toBe("run-finished");
    const logs = all
      .filter((e) => e.type === "log")
      .map((e) => (e.event as { text: string }).text)
      .join("");
    for (let i = 1; i <= 6; i++) expect(logs).toContain(`tick ${i}`);
    // Every event is one SSE message whose `event:` is its type.
    for (const e of all) expect(e.type).toBe(e.event.type);
    // Past the end: nothing more, and the stream ends.
    expect(await readEvents(server, runId, { lastEventId: all.length })).toEqual([]);
  });

  it("rebuilds the events of a run it holds no log of from the store (another server on the same store)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandflow-serve-"));
    const store = join(dir, "store.db");
    const first = await startServer({ port: 0, store, engine: { threads: 1 } });
    let runId: string;
    try {
      runId = await submit(first, FAILING);
      await finished(first, runId);
    } finally {
      await first.close();
    }
    const second = await startServer({ port: 0, store, engine: { threads: 1 } });
    try {
      const all = await readEvents(second, runId);
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
      expect(all[0]?.type).toBe("run-started");
      const last = all.at(-1)?.event;
      expect(last?.type).toBe("run-finished");
      if (last?.type === "run-finished") expect(last.report.steps.broken?.status).toBe("failed");
      expect(all.some((e) => e.type === "step-failed")).toBe(true);
      const tail = await readEvents(second, runId, { lastEventId: 2 });
      expect(tail.map((e) => e.seq)).toEqual(all.slice(2).map((e) => e.seq));
    } finally {
      await second.close();
    }
  });

  it("cancels a running run (202), and says 409 once it is not running", async () => {
    const runId = await submit(server, SLEEPY);
    await until(
      async () => (await api(server, "GET", `/api/runs/${runId}`)).body.steps.nap.status === "running",
      "nap to run",
    );
    const res = await api(server, "POST", `/api/runs/${runId}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ runId, status: "cancelling" });
    const report = await finished(server, runId);
    expect(report.status).toBe("cancelled");
    expect(report.steps.nap.status).toBe("cancelled");
    const again = await api(server, "POST", `/api/runs/${runId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.name).toBe("RunStateError");
  });

  it("deletes a finished run (200), refuses a running one (409), and forgets the deleted one (404)", async () => {
    const sleepy = await submit(server, SLEEPY);
    await until(
      async () => (await api(server, "GET", `/api/runs/${sleepy}`)).body.steps.nap.status === "running",
      "nap to run",
    );
    const busy = await api(server, "DELETE", `/api/runs/${sleepy}`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(/has not finished \(running\): cancel it before deleting it/);
    await api(server, "POST", `/api/runs/${sleepy}/cancel`);
    await finished(server, sleepy);
    const quick = await submit(server, QUICK);
    await finished(server, quick);
    for (const runId of [sleepy, quick]) {
      const res = await api(server, "DELETE", `/api/runs/${runId.slice(0, 10)}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ runId, deleted: true });
      expect((await api(server, "GET", `/api/runs/${runId}`)).status).toBe(404);
      expect((await api(server, "GET", `/api/runs/${runId}/events`)).status).toBe(404);
      expect((await api(server, "DELETE", `/api/runs/${runId}`)).status).toBe(404);
    }
    const listed = (await api(server, "GET", "/api/runs?limit=1000")).body.runs.map(
      (r: { runId: string }) => r.runId,
    );
    expect(listed).not.toContain(quick);
  });

  it("reruns a failed run (the steps that succeeded keep their results), also --from a step; 409 for a bad step", async () => {
    const runId = await submit(server, FAILING);
    expect((await finished(server, runId)).status).toBe("failed");
    const rerun = await api(server, "POST", `/api/runs/${runId}/rerun`);
    expect(rerun.status).toBe(201);
    const report = await finished(server, rerun.body.runId);
    expect(report.rerunOf).toBe(runId);
    expect(report.steps.ok.reusedFrom).toBe(runId);
    expect(report.steps.broken.status).toBe("failed");
    const from = await api(server, "POST", `/api/runs/${runId}/rerun`, { from: "ok" });
    expect(from.status).toBe(201);
    const fromReport = await finished(server, from.body.runId);
    expect(fromReport.steps.ok.reusedFrom).toBeUndefined();
    const bad = await api(server, "POST", `/api/runs/${runId}/rerun`, { from: "nope" });
    expect(bad.status).toBe(409);
    expect(bad.body.error.message).toContain("no step 'nope'");
    const badBody = await api(server, "POST", `/api/runs/${runId}/rerun`, { from: 3 });
    expect(badBody.status).toBe(400);
    // A finished run cannot be resumed.
    const resume = await api(server, "POST", `/api/runs/${runId}/resume`);
    expect(resume.status).toBe(409);
  });

  it("answers 400 with the validation issues for an invalid workflow, and runs nothing", async () => {
    const before = (await api(server, "GET", "/api/runs?limit=1000")).body.runs.length;
    const cycle = await api(server, "POST", "/api/runs", {
      workflow: { steps: { a: { code: "x", depends_on: ["b"] }, b: { code: "y", depends_on: ["a"] } } },
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.name).toBe("WorkflowValidationError");
    expect(cycle.body.error.issues.some((i: { message: string }) => i.message.includes("cycle"))).toBe(true);
    const yaml = await api(server, "POST", "/api/runs", { workflow: "steps:\n  a:\n    languag: lua\n" });
    expect(yaml.status).toBe(400);
    expect(yaml.body.error.issues[0].path).toContain("steps.a");
    const lua = await api(server, "POST", "/api/runs", {
      workflow: "workflow = { steps = 3 }",
      format: "lua",
    });
    expect(lua.status).toBe(400);
    const notJson = await api(server, "POST", "/api/runs", "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toContain("not valid JSON");
    const noWorkflow = await api(server, "POST", "/api/runs", { format: "yaml" });
    expect(noWorkflow.status).toBe(400);
    expect(noWorkflow.body.error.issues[0].path).toBe("workflow");
    const badFormat = await api(server, "POST", "/api/runs", { workflow: QUICK, format: "toml" });
    expect(badFormat.status).toBe(400);
    const params = await api(server, "POST", "/api/runs", { workflow: QUICK, params: { x: 1 } });
    expect(params.status).toBe(400);
    expect(params.body.error.name).toBe("InvalidParamsError");
    expect(params.body.error.issues[0].path).toBe("params.x");
    const deep = `{"workflow": {"name": "d", "params": {"p": {"type": "array"}}, "steps": {"a": {"language": "lua", "code": "function run() return 1 end"}}}, "params": {"p": ${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    const deepParams = await api(server, "POST", "/api/runs", deep);
    expect(deepParams.status).toBe(400);
    expect(deepParams.body.error.issues).toEqual([
      { path: "params.p", message: "the param 'p' is nested deeper than 256 levels" },
    ]);
    for (const limit of ["0", "abc", "2.5", "100000"]) {
      const badQuery = await api(server, "GET", `/api/runs?limit=${limit}`);
      expect(badQuery.status).toBe(400);
      expect(badQuery.body.error.issues).toEqual([
        { path: "limit", message: "must be a whole number from 1 to 1000" },
      ]);
    }
    expect((await api(server, "GET", "/api/runs?status=bogus")).status).toBe(400);
    expect((await api(server, "GET", "/api/runs?limit=1000")).body.runs.length).toBe(before);
  });

  it("refuses workflows that name files on the server's disk", async () => {
    const res = await api(server, "POST", "/api/runs", {
      workflow: { steps: { a: { language: "python", file: "steps/secret.py" } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0]).toEqual({
      path: "steps.a.file",
      message: expect.stringContaining("--workflows DIR"),
    });
  });

  it("answers 413 to a body over the limit, 404 to unknown runs and endpoints", async () => {
    const big = await api(server, "POST", "/api/runs", { workflow: `# ${"x".repeat(100_000)}\n${QUICK}` });
    expect(big.status).toBe(413);
    expect(big.body.error.name).toBe("PayloadTooLarge");
    const missing = await api(server, "GET", "/api/runs/ffffffff-0000");
    expect(missing.status).toBe(404);
    expect(missing.body.error.name).toBe("RunNotFoundError");
    expect((await api(server, "GET", "/api/runs/ffffffff-0000/events")).status).toBe(404);
    expect((await api(server, "POST", "/api/runs/ffffffff-0000/cancel")).status).toBe(404);
    expect((await api(server, "GET", "/api/nothing")).status).toBe(404);
    expect((await api(server, "DELETE", "/api/nothing/at/all")).status).toBe(404);
  });

  it("answers 405 with Allow to a method an endpoint does not take", async () => {
    const cases: [string, string, string][] = [
      ["DELETE", "/api/runs", "GET, HEAD, POST"],
      ["PUT", "/api/runs/ffffffff-0000", "DELETE, GET, HEAD"],
      ["GET", "/api/runs/ffffffff-0000/cancel", "POST"],
      ["DELETE", "/api/runs/x/signals/go", "POST"],
      ["POST", "/api/openapi.json", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await api(server, method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      expect(res.body.error).toEqual({
        name: "MethodNotAllowed",
        message: `${method} is not allowed on ${path}; it takes ${allow}`,
      });
    }
    // a dot in a route is a dot, not any character
    expect((await api(server, "POST", "/api/openapiXjson")).status).toBe(404);
  });

  it("refuses requests from other origins and for other host names (no CSRF, no DNS rebinding)", async () => {
    const origin = await api(
      server,
      "POST",
      "/api/runs",
      { workflow: QUICK },
      { Origin: "http://evil.example" },
    );
    expect(origin.status).toBe(403);
    // fetch does not let a caller set Host; node:http does.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${server.url}/api/runs`, { headers: { Host: "evil.example:80" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it("takes signals for a waiting run: status waiting, idempotent ids, 400 for bad data, 409 once finished", async () => {
    const runId = await submit(
      server,
      "name: waits\nsteps:\n  go:\n    wait_for: {signal: go}\n  gate:\n    approval: true\n    depends_on: [go]\n",
    );
    for (let i = 0; i < 200; i++) {
      if ((await api(server, "GET", `/api/runs/${runId}`)).body.status === "waiting") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const waiting = (await api(server, "GET", `/api/runs/${runId}`)).body;
    expect(waiting.waiting).toEqual([{ step: "go", for: "signal", signal: "go" }]);
    const sent = await api(server, "POST", `/api/runs/${runId.slice(0, 8)}/signals/go?id=s1`, { n: 1 });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ runId, name: "go", signalId: "s1", delivered: true });
    const again = await api(server, "POST", `/api/runs/${runId}/signals/go?id=s1`, { n: 2 });
    expect(again.status).toBe(200);
    expect(again.body.delivered).toBe(false);
    const bad = await api(server, "POST", `/api/runs/${runId}/signals/approval`, { approved: "maybe" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.name).toBe("InvalidSignalError");
    expect(
      (await api(server, "POST", `/api/runs/${runId}/signals/approval`, { approved: true })).status,
    ).toBe(202);
    let report = (await api(server, "GET", `/api/runs/${runId}`)).body;
    for (let i = 0; i < 200 && report.status !== "succeeded"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      report = (await api(server, "GET", `/api/runs/${runId}`)).body;
    }
    expect(report.steps.go.output).toEqual({ n: 1 });
    const late = await api(server, "POST", `/api/runs/${runId}/signals/go`, {});
    expect(late.status).toBe(409);
    expect((await api(server, "POST", "/api/runs/nope/signals/go", {})).status).toBe(404);
  });

  it("serves an OpenAPI document made from the zod schemas", async () => {
    const res = await api(server, "GET", "/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        "/api/runs",
        "/api/runs/{id}",
        "/api/runs/{id}/events",
        "/api/runs/{id}/rerun",
      ]),
    );
    const report = res.body.components.schemas.RunReport;
    expect(report.required).toEqual(expect.arrayContaining(["runId", "status", "steps"]));
    expect(res.body.components.schemas.SubmitRun.properties.format.enum).toEqual(["lua", "yaml", "json"]);
  });
});
