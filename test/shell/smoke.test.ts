import { test } from "vitest";
import { runStep } from "./helpers.js";

test("smoke", async () => {
  let r = await runStep("bomb(){ bomb|bomb& }; bomb");
  console.log("bomb", JSON.stringify(r.outcome).slice(0, 300), r.ms.toFixed(1));
  r = await runStep("echo after");
  console.log("after", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  let flag = false;
  setTimeout(() => { flag = true; }, 200);
  r = await runStep("while :; do echo x > /dev/null; done", { interrupted: () => flag });
  console.log("loop", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  flag = false;
  setTimeout(() => { flag = true; }, 200);
  r = await runStep("while :; do :; done", { interrupted: () => flag });
  console.log("loop2", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  flag = false;
  setTimeout(() => { flag = true; }, 200);
  r = await runStep("sleep 10", { interrupted: () => flag });
  console.log("sleep", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  r = await runStep("x=a; while :; do x=$x$x; done", { limits: { memoryBytes: 32 << 20 } });
  console.log("mem", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  r = await runStep("awk 'BEGIN{while(1) a[i++]=i}'", { limits: { memoryBytes: 32 << 20 } });
  console.log("mem2", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  r = await runStep("yes > /tmp/big", { limits: { workspaceBytes: 1 << 20 } });
  console.log("ws", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  r = await runStep("yes", { limits: { outputBytes: 1 << 20 } });
  console.log("out", JSON.stringify(r.outcome).slice(0, 200), r.ms.toFixed(1));
  for (const s of ["echo hi", "x=1; echo $x", "echo a b | wc -w", "echo $(echo x)", "seq 1 100000 | tail -1", "yes | head -1", "i=0; while [ $i -lt 100 ]; do x=$(echo $i); i=$((i+1)); done"]) {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) times.push((await runStep(s)).ms);
    times.sort((a, b) => a - b);
    console.log("bench", s, "median", times[10]?.toFixed(2));
  }
});
