/**
 * Secrets: a step that names one in `secrets` gets its value as an environment variable;
 * the value never shows in the report or the events (logs, outputs with the value in
 * strings and keys, errors, values split across live output chunks, a dependent's input)
 * in any language; a step that does not name it does not get it; a workflow cannot read a
 * secret the engine was not given; the CLI takes secrets from the host environment only
 * when `--secret NAME` says so.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import type { RunEvent } from "../../src/core/events.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";

const SECRET = `tok-${process.pid}-Zq8"\\x`;
const OTHER = `other-${process.pid}-secret`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("secrets", () => {
  const engine = createEngine({
    threads: 2,
    timeout: 30,
    secrets: { API_TOKEN: SECRET, OTHER_TOKEN: OTHER },
  });
  afterAll(() => engine.close());

  it("reach the steps that name them and are masked in everything they send back", async () => {
    const events: RunEvent[] = [];
    const report = await engine.run(
      defineWorkflow({
        name: "secrets",
        steps: {
          py: {
            language: "python",
            secrets: ["API_TOKEN"],
            code: `import os, sys, time, hashlib
def run():
    s = os.environ["API_TOKEN"]
    print("token:", s, "-" * 60)
    time.sleep(0.15)
    sys.stdout.write(s[:4]); sys.stdout.flush(); time.sleep(0.15)
    sys.stdout.write(s[4:] + "\\n"); sys.stdout.flush()
    time.sleep(0.15)
    sys.stderr.write("err " + s + "\\n")
    return {"token": s, s: 1, "nested": ["x" + s + "y"], "sha": hashlib.sha256(s.encode()).hexdigest()}`,
          },
          py_error: {
            language: "python",
            secrets: ["API_TOKEN"],
            code: `import os\ndef run():\n    raise ValueError("leak " + os.environ["API_TOKEN"])`,
          },
          lua: {
            language: "lua",
            secrets: ["API_TOKEN"],
            code: `function run() print(os.getenv("API_TOKEN")) return { t = os.getenv("API_TOKEN") } end`,
          },
          sh: {
            language: "shell",
            secrets: ["API_TOKEN", "OTHER_TOKEN"],
            code: `echo "$API_TOKEN"; echo "$OTHER_TOKEN" >&2; printf '{"n":%s}' "\${#OTHER_TOKEN}"`,
          },
          without: {
            language: "python",
            code: `import os\ndef run():\n    return [os.environ.get("API_TOKEN"), os.environ.get("OTHER_TOKEN")]`,
          },
          dependent: {
            language: "lua",
            depends_on: ["py"],
            code: "function run(inputs) return inputs.py.token end",
          },
        },
      }),
      { onEvent: (e) => events.push(e) },
    );
    const seen = JSON.stringify([report, events]);
    expect(seen).not.toContain(SECRET);
    expect(seen).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(seen).not.toContain(OTHER);
    const step = (id: string) => report.steps[id];
    expect(step("py")?.status, JSON.stringify(step("py")?.error)).toBe("succeeded");
    expect(step("py")?.output).toEqual({ token: "***", "***": 1, nested: ["x***y"], sha: sha(SECRET) });
    expect(step("py")?.stdout).toBe(`token: *** ${"-".repeat(60)}\n***\n`);
    expect(step("py")?.stderr).toBe("err ***\n");
    // Live output arrives in chunks (the value was written in two parts, sent in two flushes): joined, masked.
    const chunks = events.flatMap((e) =>
      e.type === "log" && e.stepId === "py" && e.stream === "stdout" ? [e.text] : [],
    );
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(`token: *** ${"-".repeat(60)}\n***\n`);
    expect(step("py_error")?.error?.message).toMatch(/^ValueError: leak \*\*\*/);
    expect(step("lua")?.output).toEqual({ t: "***" });
    expect(step("lua")?.stdout).toBe("***\n");
    expect(step("sh")?.stdout).toBe(`***\n{"n":${OTHER.length}}`);
    expect(step("sh")?.stderr).toBe("***\n");
    expect(step("sh")?.output).toEqual({ n: OTHER.length });
    expect(step("without")?.output).toEqual([null, null]);
    expect(step("dependent")?.output).toBe("***");
  }, 60_000);

  it("a step naming a secret is told started when a worker takes it, before its output", async () => {
    const events: RunEvent[] = [];
    await engine.run(
      defineWorkflow({
        steps: {
          a: {
            language: "lua",
            secrets: ["API_TOKEN"],
            code: 'function run() print("hi") local x = 0 for i = 1, 1e6 do x = x + i end return 1 end',
          },
        },
      }),
      { onEvent: (e) => events.push(e) },
    );
    const order = events.filter((e) => e.type === "step-started" || e.type === "log").map((e) => e.type);
    expect(order).toEqual(["step-started", "log"]);
  });

  it("a step naming a secret the engine was not given fails without running", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "missing",
        steps: {
          a: {
            language: "lua",
            secrets: ["HOME", "PATH"],
            code: "function run() return os.getenv('HOME') end",
          },
        },
      }),
    );
    expect(report.steps.a?.status).toBe("failed");
    expect(report.steps.a?.error?.message).toBe(
      "step 'a' names secrets 'HOME', 'PATH' the engine was not given (engine option secrets, or sandflow run --secret NAME)",
    );
    expect(report.steps.a?.attempts).toBe(1);
  });

  it("bad secret names and a name that is also an env variable are validation errors", () => {
    const r = parseWorkflow({
      defaults: { secrets: ["ok_name"] },
      steps: {
        a: { code: "x", secrets: ["bad-name", "DUP"], env: { DUP: "1" } },
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.issues).toEqual([
      { path: "steps.a.secrets[0]", message: 'secret name "bad-name" must match [A-Za-z_][A-Za-z0-9_]*' },
      { path: "steps.a.secrets[1]", message: "'DUP' is both a secret and an env variable; give it once" },
    ]);
  });

  it("bad engine secrets fail at construction", () => {
    expect(() => createEngine({ secrets: { A: "" } })).toThrow(
      "options.secrets.A must be a non-empty string",
    );
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "sandflow-secrets-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "wf.yaml");
    writeFileSync(
      file,
      [
        "steps:",
        "  a:",
        "    language: shell",
        "    secrets: [SF_CLI_SECRET]",
        `    code: 'echo "$SF_CLI_SECRET"; echo "$SF_CLI_SECRET" >&2; printf "\\"%s\\"" "$SF_CLI_SECRET"'`,
      ].join("\n"),
    );
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
        cwd: new URL("../../", import.meta.url).pathname,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", SF_CLI_SECRET: SECRET },
      });

    it("--secret NAME gives it, masked on stdout and stderr, in the summary and with --json", () => {
      for (const extra of [[], ["--json"]]) {
        const r = cli("run", file, "--secret", "SF_CLI_SECRET", "--progress", "plain", ...extra);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(SECRET);
        expect(r.stdout + r.stderr).toContain("***");
      }
    }, 60_000);

    it("without --secret the host variable is not given, and the step says why", () => {
      const r = cli("run", file, "--json");
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(JSON.parse(r.stdout).steps.a.error.message).toContain(
        "names secret 'SF_CLI_SECRET' the engine was not given",
      );
    }, 60_000);
  });
});
