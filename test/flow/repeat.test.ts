import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import type { WorkflowValidationError } from "../../src/core/errors.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, isolation: "thread", store: false });
});
afterAll(async () => {
  await engine.close();
});

describe("repeat", () => {
  it("runs the step again, seeing its previous output as inputs.previous, until `until` holds", async () => {
    const wf = workflow("loop")
      .param("target", { type: "integer", default: 5 })
      .lua("seed", "function run() return { step = 2 } end")
      .python(
        "count",
        "import sandflow\ndef run(inputs):\n    prev = inputs.get('previous') or {'n': 0}\n    return {'n': prev['n'] + inputs['seed']['step'], 'attempt': sandflow.attempt}",
        { depends_on: ["seed"], repeat: { until: "output.n >= params.target", max: 10 } },
      )
      .shell(
        "sh",
        'if [ -z "$INPUT_PREVIOUS" ]; then echo 1; else echo $(( $(parse_input previous) * 3 )); fi',
        {
          repeat: { until: "output > 20 && inputs.previous == output / 3", max: 5 },
        },
      )
      .js("js", "function run(inputs) { return (inputs.previous ?? []).concat([sandflow.attempt]); }", {
        repeat: { until: "size(output) == 3", max: 3 },
      })
      .lua("after", "function run(inputs) return inputs.count.n end", { depends_on: ["count"] })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("succeeded");
    expect(r.steps.count?.output).toEqual({ n: 6, attempt: 3 });
    expect(r.steps.count?.iterations).toBe(3);
    expect(r.steps.count?.attempts).toBe(3);
    expect(r.steps.sh?.output).toBe(27);
    expect(r.steps.sh?.iterations).toBe(4);
    expect(r.steps.js?.output).toEqual([1, 2, 3]);
    expect(r.steps.after?.output).toBe(6);
  });

  it("fails with LoopLimitError after max iterations; retries are per iteration", async () => {
    const wf = workflow("limit")
      .lua("never", "function run(inputs) return (inputs.previous or 0) + 1 end", {
        repeat: { until: "output > 100", max: 4 },
      })
      .lua(
        "flaky",
        'function run(inputs) local n = (inputs.previous or 0) + 1 if n == 2 and sandflow.attempt == 2 then error("once") end return n end',
        { repeat: { until: "output == 3", max: 5 }, retries: 1 },
      )
      .lua("bad", "function run() return 1 end", { repeat: { until: "output.missing", max: 2 } })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("failed");
    expect(r.steps.never?.status).toBe("failed");
    expect(r.steps.never?.error).toEqual({
      name: "LoopLimitError",
      message: "steps.never.repeat.until was still false after 4 iterations (repeat.max is 4)",
    });
    expect(r.steps.never?.iterations).toBe(4);
    expect(r.steps.flaky?.status).toBe("succeeded");
    expect(r.steps.flaky?.output).toBe(3);
    expect(r.steps.flaky?.attempts).toBe(4);
    expect(r.steps.bad?.error?.name).toBe("ExpressionError");
  });

  it("a bad until is a validation error naming the step and field", () => {
    const r = parseWorkflow({
      steps: {
        a: { code: "x", repeat: { until: "output >", max: 3 } },
        b: { code: "x", repeat: { until: "item == 1", max: 3 } },
        c: { code: "x", repeat: { until: "true", max: 0 } },
        d: { code: "x", repeat: { max: 2 } },
      },
    });
    expect(r.ok).toBe(false);
    const paths = (r as { error: WorkflowValidationError }).error.issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      "steps.a.repeat.until",
      "steps.b.repeat.until",
      "steps.c.repeat.max",
      "steps.d.repeat.until",
    ]);
  });
});
