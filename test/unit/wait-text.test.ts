import { describe, expect, it } from "vitest";
import { waitingText, waitStartText } from "../../src/cli/wait-text.js";

const local = { runId: "1cd504c2-68a4-4650-b54f-8f2f7da63058" };
const remote = { ...local, server: "http://127.0.0.1:8080" };

describe("what a waiting step needs, in words", () => {
  it("names the wait and the command that ends it, locally and on a server", () => {
    const approval = { kind: "signal", name: "approval", approval: true, timeoutMs: 3_600_000 } as const;
    expect(waitStartText(approval, local)).toBe(
      `waiting for approval (at most 1 h 0 min); send it with: sandflow signal 1cd504c2 approval --data '{"approved": true}'`,
    );
    expect(waitStartText(approval, remote)).toBe(
      `waiting for approval (at most 1 h 0 min); send it with: curl -X POST http://127.0.0.1:8080/api/runs/${local.runId}/signals/approval -d '{"approved": true}' (or Approve on the dashboard)`,
    );
    expect(waitStartText({ kind: "signal", name: "go live", approval: false }, local)).toBe(
      "waiting for signal 'go live'; send it with: sandflow signal 1cd504c2 'go live' --data JSON",
    );
  });

  it("says a resumed sleep sleeps only what is left", () => {
    expect(waitStartText({ kind: "sleep", ms: 6000 }, local)).toBe("sleeping 6.00 s");
    expect(waitStartText({ kind: "sleep", ms: 6000 }, local, 2)).toBe(
      "sleeping what is left of 6.00 s from its first start",
    );
    expect(waitStartText({ kind: "sleep", until: Date.UTC(2026, 11, 24, 18) }, local)).toBe(
      "sleeping until 2026-12-24 18:00:00 UTC",
    );
  });

  it("words a waiting run's entries for the summary", () => {
    expect(waitingText({ step: "s", for: "time", until: Date.UTC(2026, 0, 1) }, local)).toBe(
      "sleeps until 2026-01-01 00:00:00 UTC",
    );
    expect(waitingText({ step: "s", for: "signal", signal: "release" }, local)).toBe(
      "waits for signal release: sandflow signal 1cd504c2 release --data JSON",
    );
  });
});
