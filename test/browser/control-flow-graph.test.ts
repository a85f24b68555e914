/**
 * The playground's DAG shows control flow: a for_each step is drawn as a stack with a
 * "for each" badge, a step with a condition is marked "if" (and skipped when it is false),
 * a trigger rule other than all_success is named, a step that runs a sub-workflow names
 * it; the tooltips show the expressions.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, openPage, type PlaygroundServer, startPlayground } from "./harness.js";

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

describe("the playground's graph of a control-flow workflow", () => {
  it("marks for_each, conditions and trigger rules, and shows a false condition as skipped", async () => {
    const text = readFileSync(new URL("../conformance/workflows/conditions.yaml", import.meta.url), "utf8");
    const status = await browser.page.evaluate((t) => window.sandflow.run(t).then((r) => r.status), text);
    expect(status).toBe("failed");
    const nodes = await browser.page.$$eval("svg.dag g.node", (gs) =>
      Object.fromEntries(
        gs.map((g) => [
          g.getAttribute("data-step"),
          {
            cls: g.getAttribute("class"),
            badge: g.querySelector(".node-flow")?.textContent ?? "",
            title: g.querySelector("title")?.textContent ?? "",
          },
        ]),
      ),
    );
    expect(nodes.quick?.cls).toContain("conditional");
    expect(nodes.quick?.cls).toContain("skipped");
    expect(nodes.quick?.badge).toBe("if");
    expect(nodes.quick?.title).toContain('when: params.mode == "quick"');
    expect(nodes.cleanup?.badge).toBe("all_done");
    expect(nodes.probe?.badge).toBe("");

    const fan = readFileSync(new URL("../conformance/workflows/for-each.yaml", import.meta.url), "utf8");
    await browser.page.evaluate((t) => window.sandflow.run(t), fan);
    const py = await browser.page.$eval('svg.dag g.node[data-step="py"]', (g) => ({
      cls: g.getAttribute("class"),
      stacked: g.querySelectorAll("rect.node-stack").length,
      badge: g.querySelector(".node-flow")?.textContent,
      title: g.querySelector("title")?.textContent,
    }));
    expect(py.cls).toContain("for-each");
    expect(py.cls).toContain("succeeded");
    expect(py.stacked).toBe(1);
    expect(py.badge).toBe("for each");
    expect(py.title).toContain("for_each: inputs.source.map(");
  });

  it("runs an example's sub-workflows from the bundled files and inline, and marks them", async () => {
    const text = readFileSync(new URL("../../workflows/subworkflows.yaml", import.meta.url), "utf8");
    const report = await browser.page.evaluate((t) => window.sandflow.run(t), text);
    expect(report.status).toBe("succeeded");
    expect(report.steps.total?.output).toEqual({ orders: 3, total: 81 });
    expect(report.steps.notify?.output).toEqual({ send: { sent: true } });
    const price = await browser.page.$eval('svg.dag g.node[data-step="price"]', (g) => {
      const box = (sel: string) => {
        const r = (g.querySelector(sel) as SVGGraphicsElement).getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      };
      return {
        badge: g.querySelector(".node-flow")?.textContent,
        status: g.querySelector(".node-status")?.textContent,
        title: g.querySelector("title")?.textContent,
        lang: g.querySelector(".node-lang")?.textContent,
        boxes: [
          box(".node-id"),
          box(".node-status"),
          box(".node-flow"),
          box("rect.node-box:not(.node-stack)"),
        ],
      };
    });
    expect(price.badge).toBe("sub-workflow · for each");
    expect(price.status).toMatch(/^✓ succeeded · \d/);
    expect(price.title).toContain("workflow: sub/order.yaml");
    expect(price.lang).toBe("workflow");
    // The id, the state with its duration and the long badge each have a line, inside the node.
    const [id, state, badge, node] = price.boxes as {
      left: number;
      right: number;
      top: number;
      bottom: number;
    }[];
    for (const text of [id, state, badge]) {
      expect(text?.right).toBeLessThanOrEqual(node?.right as number);
      expect(text?.bottom).toBeLessThanOrEqual(node?.bottom as number);
    }
    expect(id?.bottom).toBeLessThanOrEqual(state?.top as number);
    expect(state?.bottom).toBeLessThanOrEqual(badge?.top as number);
  });
});
