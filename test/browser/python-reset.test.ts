/**
 * Python interpreters made new between runs in Chromium (their memory image copied back):
 * a later run sees nothing of an earlier run's globals, modules, environment or files,
 * and draws random numbers of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, openPage, type PlaygroundServer, startPlayground } from "./harness.js";

const PLANT = JSON.stringify({
  name: "plant",
  steps: {
    a: {
      language: "python",
      code: `import builtins, sys, os, json, random
builtins.sf_mark = "planted"
sys.modules["sf_mod"] = type(sys)("sf_mod")
json.loads = lambda *a, **k: {"forged": True}
os.environ["SF_MARK"] = "planted"
open("/tmp/mark", "w").write("planted")
def run():
    return random.random()`,
    },
  },
});

const PROBE = JSON.stringify({
  name: "probe",
  steps: {
    a: {
      language: "python",
      code: `import builtins, sys, os, json, random
def run():
    found = [n for n, hit in [("builtins", hasattr(builtins, "sf_mark")), ("sys.modules", "sf_mod" in sys.modules),
        ("json.loads", json.loads("{}") != {}), ("environ", "SF_MARK" in os.environ),
        ("tmp", os.listdir("/tmp") != [])] if hit]
    return [found, random.random()]`,
    },
  },
});

let server: PlaygroundServer;
let browser: BrowserSession;

beforeAll(async () => {
  server = await startPlayground();
  browser = await openPage(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("Python interpreters between runs in a page", () => {
  it("keep nothing of an earlier run and draw new random numbers", async () => {
    const draws = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const planted = await browser.page.evaluate((text) => window.sandflow.run(text), PLANT);
      expect(planted.status).toBe("succeeded");
      draws.add(planted.steps.a?.output as number);
      for (let j = 0; j < 2; j++) {
        const probe = await browser.page.evaluate((text) => window.sandflow.run(text), PROBE);
        expect(probe.status).toBe("succeeded");
        const [found, draw] = (probe.steps.a?.output ?? [["no output"], 0]) as [string[], number];
        expect(found).toEqual([]);
        draws.add(draw);
      }
    }
    expect(draws.size).toBe(9);
  }, 240_000);
});
