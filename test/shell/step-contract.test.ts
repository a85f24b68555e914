import { describe, expect, test } from "vitest";
import { inputVarName } from "../../runtimes/shell/index.js";
import { output, runStep, sh } from "./helpers.js";

describe("shell step contract", () => {
  test("a plain script: JSON on stdout is the output", async () => {
    const r = await runStep(`echo '{"a": 1, "b": [true, null]}'`);
    expect(output(r.outcome)).toEqual({ a: 1, b: [true, null] });
  });

  test("the last stdout line that is a JSON object or array wins over plain text", async () => {
    const r = await runStep(`echo "working..."; echo '{"x": 1}'; echo "[1,2,3]"; echo done`);
    expect(output(r.outcome)).toEqual([1, 2, 3]);
  });

  test("plain text becomes {stdout, stderr, exit_code}", async () => {
    const r = await runStep(`echo hello; echo oops >&2`);
    expect(output(r.outcome)).toEqual({ stdout: "hello\n", stderr: "oops\n", exit_code: 0 });
  });

  test("a script defining run() gets the inputs JSON as $1", async () => {
    const code = `
run() {
  printf '%s\\n' "$1" > /tmp/inputs.json
  n=$(printf '%s' "$1" | wc -c)
  echo "{\\"got\\": $1, \\"chars\\": $n}"
}`;
    const inputs = { fetch: { rows: [1, 2] }, "make-report": "x" };
    const r = await runStep(code, { inputs });
    const out = output(r.outcome) as { got: unknown; chars: number };
    expect(out.got).toEqual(inputs);
    expect(out.chars).toBe(JSON.stringify(inputs).length);
  });

  test("each dependency's output is in $INPUT_<ID> and parse_input prints it", async () => {
    const tricky = { text: `quotes " ' and $HOME and \\back\\slash\nnew line`, list: [1, "$(echo no)"] };
    const inputs = { "fetch-data": tricky, "a.b c": 42 };
    expect(inputVarName("fetch-data")).toBe("INPUT_FETCH_DATA");
    expect(inputVarName("a.b c")).toBe("INPUT_A_B_C");
    const r = await runStep(
      `parse_input fetch-data > /tmp/a.json
printf '%s\\n' "$INPUT_FETCH_DATA" > /tmp/b.json
cmp /tmp/a.json /tmp/b.json && echo same >&2
echo "$INPUT_A_B_C" >&2
parse_input "a.b c" >&2
cat /tmp/a.json`,
      { inputs },
    );
    expect(output(r.outcome)).toEqual(tricky);
    expect(r.emitted.stderr).toBe("same\n42\n42\n");
  });

  test("parse_input of an unknown id fails clearly", async () => {
    const r = await sh("parse_input nope; echo status=$?");
    expect(r.stdout).toBe("status=1\n");
    expect(r.stderr).toContain("no input from a step named 'nope'");
  });

  test("$SANDFLOW_OUTPUT wins over stdout; SANDFLOW_* variables are set", async () => {
    const r = await runStep(
      `echo '{"ignored": true}'
case "$SANDFLOW_OUTPUT" in /tmp/*|/workspace/*) echo "bad place" >&2; exit 1;; esac
printf '{"attempt": %s, "step": "%s", "run": "%s"}' "$SANDFLOW_ATTEMPT" "$SANDFLOW_STEP_ID" "$SANDFLOW_RUN_ID" > "$SANDFLOW_OUTPUT"`,
      { attempt: 3, stepId: "build" },
    );
    expect(output(r.outcome)).toEqual({ attempt: 3, step: "build", run: "run-1" });
  });

  test("invalid JSON in $SANDFLOW_OUTPUT fails the step with a clear error", async () => {
    const r = await runStep(`echo '{"oops":' > "$SANDFLOW_OUTPUT"`);
    expect(r.outcome.ok).toBe(false);
    if (r.outcome.ok) return;
    expect(r.outcome.error.name).toBe("StepRuntimeError");
    expect(r.outcome.error.message).toContain("$SANDFLOW_OUTPUT");
    expect(r.outcome.error.message).toContain("valid JSON");
  });

  test("a non-zero exit fails the step with the status and the stderr tail", async () => {
    const r = await runStep(`echo starting; echo "something broke" >&2; exit 3`);
    expect(r.outcome).toMatchObject({
      ok: false,
      error: { name: "StepRuntimeError", message: "shell step exited with status 3: something broke" },
    });
    const r2 = await runStep(`run() { false; }`);
    expect(r2.outcome).toMatchObject({ ok: false, error: { message: expect.stringContaining("status 1") } });
  });

  test("the environment: the step's env, defaults, nothing of the host", async () => {
    const r = await sh("env | sort", { env: { GREETING: "hi there", PATH: "/bin" } });
    const env = Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(env.GREETING).toBe("hi there");
    expect(env.PATH).toBe("/bin");
    expect(env.HOME).toBe("/workspace");
    expect(env.USER).toBe("sandflow");
    expect(env.SANDFLOW_STEP_ID).toBe("step-1");
    for (const hostOnly of ["NODE_OPTIONS", "VITEST", "PNPM_HOME", "npm_config_cache", "TERM"]) {
      expect(env[hostOnly]).toBeUndefined();
    }
    const r2 = await sh("pwd; cd; pwd; echo ~");
    expect(r2.stdout).toBe("/workspace\n/workspace\n/workspace\n");
  });

  test("output streams through emit as it is produced", async () => {
    const chunks: string[] = [];
    const { runtime, invocation } = await import("./helpers.js");
    const rt = await runtime();
    const inv = {
      ...invocation("echo one; sleep 0.05; echo two >&2; echo three"),
      emit: (s: string, t: string) => chunks.push(`${s}:${t}`),
    };
    const outcome = await rt.run(inv);
    expect(outcome.ok).toBe(true);
    expect(chunks).toEqual(["stdout:one\n", "stderr:two\n", "stdout:three\n"]);
  });

  test("bad invocations fail clearly instead of throwing", async () => {
    const r = await runStep("echo hi", { inputsJson: "[1, 2" });
    expect(r.outcome).toMatchObject({ ok: false, error: { name: "StepRuntimeError" } });
    if (!r.outcome.ok) expect(r.outcome.error.message).toContain("inputsJson");
    const r2 = await runStep("echo hi", { env: { "BAD NAME": "x" } });
    expect(r2.outcome).toMatchObject({ ok: false, error: { message: expect.stringContaining("BAD NAME") } });
    const r3 = await runStep("echo hi", { files: { "/etc/passwd": new Uint8Array(1) } });
    expect(r3.outcome).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("/etc/passwd") },
    });
  });

  test("reused instances carry nothing from one step to the next", async () => {
    const first = await runStep("export SECRET=abc123; leak=xyz; (: subshell); x=$(echo fork); echo $x", {
      env: { OTHER: "1" },
    });
    expect(first.outcome.ok).toBe(true);
    const r = await sh(
      `set | grep -c -e abc123 -e xyz -e OTHER; (set | grep -c abc123); echo \${SECRET-unset}`,
    );
    expect(r.stdout).toBe("0\n0\nunset\n");
  });

  test("fixed sandbox answers", async () => {
    const r = await sh("whoami; id; hostname; uname -s; uname -m; uname -n; logname; echo $USER");
    expect(r.stdout).toBe(
      "sandflow\nuid=1000(sandflow) gid=1000(sandflow) groups=1000(sandflow)\nsandflow\nsandflow\nwasm32\nsandflow\nsandflow\nsandflow\n",
    );
    const df = await sh("df -k / | tail -1", { limits: { workspaceBytes: 10 << 20 } });
    expect(df.stdout).toMatch(/^sandflow\s+10240\s+\d+\s+\d+\s+\d+% \/\n$/);
    const free = await sh("free | sed -n 2p", { limits: { memoryBytes: 64 << 20 } });
    expect(free.stdout).toMatch(/^Mem:\s+65536\s/);
  });
});
