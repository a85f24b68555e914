/**
 * The CLI as a first-time user meets it, run as a process (exit code, stdout, stderr):
 * usage errors, validation messages, Lua tracebacks, durations and attempts, when steps
 * start, file extensions, version, help, shell completion, colour, and npm's warnings.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatDuration } from "../../src/cli/format.js";

const root = new URL("../../", import.meta.url).pathname;
const fixture = (name: string) => `test/fixtures/workflows/${name}`;
const scratch = mkdtempSync(join(tmpdir(), "sandflow-cli-ux-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function sandflow(args: string[], env: Record<string, string> = { NO_COLOR: "1" }) {
  const base = { ...process.env };
  delete base.FORCE_COLOR;
  delete base.NO_COLOR;
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...base, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Where a program is on the machine's own PATH (not node_modules/.bin), if anywhere. */
function onSystemPath(name: string): string | undefined {
  return ["/usr/local/bin", "/usr/bin", "/bin"].map((d) => join(d, name)).find((p) => existsSync(p));
}

describe("usage errors", () => {
  it("always say what is wrong, on stderr, with exit 2", () => {
    const cases: [string[], string][] = [
      [["schema", "foo"], "argument 'which'. Allowed choices are workflow, report"],
      [["run"], "missing required argument 'file'"],
      [["frobnicate"], "unknown command 'frobnicate'"],
      [["run", "workflows/diamond.lua", "--concurrency", "zero"], "--concurrency must be a positive integer"],
      [["run", "workflows/diamond.lua", "--progress", "loud"], "Allowed choices are auto, live, plain, none"],
      [["completion", "fish"], "Allowed choices are bash, zsh"],
      [["validate", "--bogus", "x.yaml"], "unknown option '--bogus'"],
    ];
    for (const [args, message] of cases) {
      const r = sandflow(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(message);
      expect(r.stderr, args.join(" ")).toContain("sandflow help");
      expect(r.stdout, args.join(" ")).toBe("");
    }
  });

  it("refuses a workflow file whose extension is not .lua, .yaml, .yml or .json", () => {
    const txt = join(scratch, "wf.txt");
    const bare = join(scratch, "Workflow");
    const text = readFileSync(join(root, fixture("hello.yaml")), "utf8");
    writeFileSync(txt, text);
    writeFileSync(bare, text);
    const r = sandflow(["run", txt]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `sandflow: ${txt} has the extension '.txt'; workflow files are .lua, .yaml, .yml or .json (rename it)\n`,
    );
    expect(sandflow(["validate", bare]).stderr).toContain(
      `${bare} has no extension; workflow files are .lua`,
    );
    writeFileSync(join(scratch, "wf.YML"), text);
    expect(sandflow(["validate", join(scratch, "wf.YML")]).code).toBe(0);
    // A folder is not a file without an extension to rename.
    const folder = sandflow(["validate", scratch]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(
      `sandflow: ${scratch} is a folder; give a workflow file (.lua, .yaml, .yml or .json)\n`,
    );
  });
});

describe("validation", () => {
  it("reports every problem at once, suggesting names only when close", () => {
    const r = sandflow(["validate", fixture("invalid-many.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        `sandflow: ${fixture("invalid-many.yaml")}: invalid workflow (5 problems):`,
        '  - steps.a.language: unknown language "ruby"; expected one of python, lua, shell, sh, bash, javascript, js, wasm',
        '  - steps.c.language: unknown language "rust"; expected one of python, lua, shell, sh, bash, javascript, js, wasm',
        `  - steps.d.language: unknown language "pyhton" (did you mean 'python'?); expected one of python, lua, shell, sh, bash, javascript, js, wasm`,
        "  - steps.b: has both 'code' and 'file'; give one",
        "  - steps.e.depends_on[0]: step 'e' depends on 'f', which is not a step of this workflow",
        "",
      ].join("\n"),
    );
    const json = JSON.parse(sandflow(["validate", fixture("invalid-many.yaml"), "--json"]).stdout);
    expect(json.error.issues).toHaveLength(5);
  });
});

describe("runs", () => {
  it("shows a Lua error with the step's own traceback lines only", () => {
    const r = sandflow(["run", fixture("lua-error.yaml"), "--json"]);
    expect(r.code).toBe(1);
    const message: string = JSON.parse(r.stdout).steps.nested.error.message;
    expect(message).toBe(
      [
        '[string "step:nested"]:2: x is too big: 2',
        "stack traceback:",
        "\t[string \"step:nested\"]:2: in upvalue 'check'",
        '\t[string "step:nested"]:6: in function <[string "step:nested"]:5>',
      ].join("\n"),
    );
    expect(message).not.toMatch(/\[C\]|xpcall|sandflow-bootstrap/);
  });

  it("says started when a worker takes a step, and the total time and attempts when it ends", () => {
    const r = sandflow(["run", fixture("queued.yaml"), "--threads", "1", "--progress", "plain", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    // One worker, four steps allowed at once: never two started without an end between.
    let running = 0;
    for (const line of r.stderr.split("\n")) {
      if (/^\w+: started/.test(line)) running++;
      if (/^\w+: (succeeded|failed|attempt \d+ failed)/.test(line)) running--;
      expect(running, r.stderr).toBeLessThanOrEqual(1);
    }
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("flaky:"));
    expect(lines).toEqual([
      "flaky: started",
      expect.stringMatching(/^flaky: attempt 1 failed \(StepRuntimeError: .*not yet\); retrying in 200 ms$/),
      "flaky: started (attempt 2)",
      expect.stringMatching(/^flaky: attempt 2 failed \(StepRuntimeError: .*not yet\); retrying in 200 ms$/),
      "flaky: started (attempt 3)",
      `flaky: succeeded in ${formatDuration(report.steps.flaky.durationMs)}, 3 attempts`,
    ]);
    expect(r.stderr).toContain(`busy1: succeeded in ${formatDuration(report.steps.busy1.durationMs)}\n`);
    // Three attempts of 0.1 s and two delays of 0.2 s: the total, not the last attempt.
    expect(report.steps.flaky.durationMs).toBeGreaterThanOrEqual(700);
    for (const t of [report, ...Object.values(report.steps)] as Record<string, unknown>[]) {
      for (const key of ["startedAt", "finishedAt", "durationMs"])
        expect(Number.isInteger(t[key])).toBe(true);
    }
  });
});

describe("a saga's compensations in the progress display", () => {
  it("says when each starts and how it ended, before the run's end", () => {
    const r = sandflow(["run", "workflows/saga.yaml", "--progress", "plain", "--no-store"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n");
    const end = lines.findIndex((l) => /^run \S+: failed$/.test(l));
    const told = lines.slice(0, end).filter((l) => /compens/.test(l));
    expect(told).toEqual([
      "notify: compensating (the run failed)",
      expect.stringMatching(/^notify: compensated in \d+ ms$/),
      "charge: compensating (the run failed)",
      expect.stringMatching(/^charge: compensated in \d+ ms$/),
      "reserve: compensating (the run failed)",
      expect.stringMatching(/^reserve: compensated in \d+ ms$/),
    ]);
  });
});

describe("step output in the progress display", () => {
  it("shows whole lines, also when a line reaches the CLI in pieces", () => {
    const r = sandflow(
      ["run", fixture("split-lines.yaml"), "--progress", "plain", "--no-store", "--secret", "SPLIT_SECRET"],
      { NO_COLOR: "1", SPLIT_SECRET: "supersecretvalue123" },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    expect(lines[0]).toMatch(/^run [0-9a-f-]+: split-lines \(1 step\)$/);
    const talk = lines.filter((l) => l.startsWith("talk"));
    expect(talk).toEqual([
      "talk: started",
      "talk | sees *** here",
      "talk | no newline at the end",
      expect.stringMatching(/^talk: succeeded in /),
    ]);
  });
});

describe("a reader that goes away (sandflow runs | head)", () => {
  /** Runs the CLI with its stdout a pipe closed before it writes: every write fails with EPIPE. */
  function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ["bin/sandflow.js", ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
  }

  it("ends a listing quietly, and lets a run finish and be recorded", async () => {
    const store = join(scratch, "epipe.db");
    const run = await withClosedStdout(["run", fixture("hello.yaml"), "--store", store]);
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/: succeeded/);
    for (const args of [
      ["runs", "--store", store],
      ["schema", "workflow"],
      ["graph", "workflows/diamond.lua"],
    ]) {
      const r = await withClosedStdout(args);
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.code, args.join(" ")).toBe(0);
    }
    const listed = sandflow(["runs", "--store", store]);
    expect(listed.stdout).toMatch(/succeeded .* hello/);
  });
});

describe("version, help and completion", () => {
  it("--version prints the package's version; help COMMAND prints that command's usage", () => {
    const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    expect(sandflow(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    const help = sandflow(["help", "run"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sandflow run \[options\] <file>/);
    expect(help.stdout).toContain("--progress <mode>");
    expect(sandflow(["help"]).stdout).toContain("completion <shell>");
  });

  it("completion bash: a script bash loads, completing commands, options, choices and workflow files", () => {
    const r = sandflow(["completion", "bash"]);
    expect(r.code).toBe(0);
    const script = join(scratch, "sandflow.bash");
    writeFileSync(script, r.stdout);
    const complete = (...words: string[]) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _sandflow; echo "\${COMPREPLY[*]}"`;
    const out = execFileSync(
      "bash",
      [
        "--norc",
        "-c",
        [
          `source ${script}`,
          "complete -p sandflow",
          complete("sandflow", ""),
          complete("sandflow", "va"),
          complete("sandflow", "run", "--pro"),
          complete("sandflow", "run", "--progress", ""),
          complete("sandflow", "graph", "--format", "d"),
          complete("sandflow", "schema", ""),
          complete("sandflow", "run", "test/fixtures/workflows/q"),
          complete("sandflow", "run", "test/fixtures/workflows/with-files/"),
          complete("sandflow", "help", "c"),
        ].join("\n"),
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect(out.split("\n")).toEqual([
      "complete -o filenames -F _sandflow sandflow",
      "run runs show signal resume rerun cache delete prune serve stop emit schedules worker validate graph schema completion help --version --help",
      "validate",
      "--progress",
      "auto live plain none",
      "dot",
      "workflow report",
      "test/fixtures/workflows/queued.yaml",
      expect.stringMatching(/^test\/fixtures\/workflows\/with-files\/\S+\.(yaml|lua)( |$)/),
      "cache completion",
      "",
    ]);
    expect(out).not.toContain(".py");
  });

  it.skipIf(!onSystemPath("zsh"))("completion zsh: a script zsh parses and registers for sandflow", () => {
    const r = sandflow(["completion", "zsh"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("#compdef sandflow\n")).toBe(true);
    const script = join(scratch, "_sandflow");
    writeFileSync(script, r.stdout);
    const out = execFileSync(
      "zsh",
      ["-f", "-c", `autoload -U compinit; compinit -u -D; source ${script}; print -r -- $_comps[sandflow]`],
      { encoding: "utf8" },
    );
    expect(out).toBe("_sandflow\n");
  });
});

describe("colour", () => {
  const ESC = "\u001b[";
  it("is off when output is not a terminal and with NO_COLOR; FORCE_COLOR turns it on, even over NO_COLOR", () => {
    const hello = fixture("hello.yaml");
    expect(sandflow(["run", hello], {}).stdout).not.toContain(ESC);
    expect(sandflow(["run", hello], { NO_COLOR: "1" }).stdout).not.toContain(ESC);
    const forced = sandflow(["run", hello], { FORCE_COLOR: "1" });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`${ESC}32m✔`);
    expect(sandflow(["run", hello], { FORCE_COLOR: "1", NO_COLOR: "1" }).stdout).toContain(ESC);
    expect(sandflow(["run", hello], { FORCE_COLOR: "0" }).stdout).not.toContain(ESC);
  });
});

describe("npm on an older Node", () => {
  // The README's first command runs npx on the machine's own npm and Node (20 on the
  // project's machine): npm must print no EBADENGINE warning before sandflow's output.
  const npx = onSystemPath("npx");
  it.skipIf(!npx)("npx sandflow prints no npm warning, also on its first run in a folder", () => {
    const cache = mkdtempSync(join(scratch, "npm-cache-"));
    const r = spawnSync(npx as string, ["sandflow", "--version"], {
      cwd: root,
      encoding: "utf8",
      env: {
        HOME: process.env.HOME ?? scratch,
        PATH: "/usr/local/bin:/usr/bin:/bin",
        npm_config_cache: cache,
      },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.status).toBe(0);
  });
});
