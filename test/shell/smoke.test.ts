import { expect, test } from "vitest";
import { runStep, sh } from "./helpers.js";

test("smoke", async () => {
  const r = await runStep("echo hello");
  console.log(JSON.stringify(r.outcome), r.emitted, r.ms);
  expect(r.outcome.ok).toBe(true);
  console.log(await sh("echo a b | wc -w; echo $(echo x); ls /; pwd"));
});
