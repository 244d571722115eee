/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the whole
 * local stack: sign in, watch counts change, retry a dead task until it succeeds, see the charts.
 * Screenshots go to test/artifacts/ (git-ignored).
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack";
import { createClient, type EdgeqClient } from "../../src/client/index";
import { createTaskQueue } from "../../src/queue/index";
import { restRedis } from "../support/redis-client";
import { ARTIFACTS, type Browser, openBrowser } from "./browser";
import { seedHistory } from "./history";

const WAIT = { timeout: 20_000 };

describe("dashboard in headless Chromium", () => {
  let stack: Stack;
  let client: EdgeqClient;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ quiet: true, cronEverySeconds: 2 });
    client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
    browser = await openBrowser();
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  it("serves the page with a strict CSP and refuses a wrong token", async () => {
    const response = await page.goto(`${stack.info.workerUrl}/dashboard`);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response?.headers()["x-content-type-options"]).toBe("nosniff");
    await page.fill("#token", "not-a-valid-token-at-all");
    await page.click("#login-form button");
    await page.waitForSelector("#login-error:has-text('refused')", WAIT);
    expect(await page.isVisible("#app")).toBe(false);
  });

  it("signs in, keeping the token out of the URL, and shows counts that follow enqueues", async () => {
    await client.updateQueue("default", { maxAttempts: 3 });
    await client.pauseQueue("default");
    await page.fill("#token", stack.info.apiToken);
    await page.click("#login-form button");
    await page.waitForSelector("#app:not([hidden])", WAIT);
    expect(page.url()).not.toContain(stack.info.apiToken);
    expect(await page.evaluate(() => sessionStorage.getItem("edgeq.token"))).toBe(stack.info.apiToken);

    const queued = 'tr[data-queue="default"] td[data-count="queued"]';
    await page.waitForSelector(queued, WAIT);
    await client.enqueueMany("default", Array.from({ length: 5 }, (_, i) => ({ fn: "echo", input: { i } })));
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "5", queued, WAIT);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-queued.png"), fullPage: true });
    await client.resumeQueue("default");
    await client.enqueue("default", { fn: "echo", input: { nudge: true } });
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "0", queued, WAIT);
    const done = await page.textContent('tr[data-queue="default"] td:nth-child(6)');
    expect(Number(done)).toBe(6);
  });

  it("opens a dead task, retries it and follows it until it succeeds", async () => {
    await client.updateQueue("retries", { backoff: { baseMs: 200, maxMs: 400 } });
    // The task dies by a failure reported straight to the queue core, with a clock a minute ahead
    // and the task delayed by one: no real worker can take it first.
    const redis = restRedis(stack.info.redisRestUrl, stack.info.redisRestToken);
    const [created] = await createTaskQueue(redis).enqueue("retries", [{ fn: "flaky", input: { failures: 1 }, delayMs: 60_000 }]);
    const ahead = createTaskQueue(redis, { now: () => Date.now() + 61_000 });
    const [claimed] = await ahead.claim("retries", 1);
    expect(claimed?.id).toBe(created!.id);
    await ahead.fail("retries", [{ id: claimed!.id, leaseToken: claimed!.leaseToken, error: "worker lost its connection (simulated)", retryable: false }]);

    await page.click('tr[data-queue="retries"]');
    const item = `#dead-list li[data-task="${created!.id}"]`;
    await page.waitForSelector(item, WAIT);
    await page.click(`${item} summary .mono`);
    await page.waitForSelector(`${item} ol.errors li:has-text("worker lost its connection")`, WAIT);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-dead.png"), fullPage: true });
    await page.click(`${item} button[data-action="retry"]`);
    // flaky fails its first attempt again, is retried with backoff, then succeeds
    await page.waitForSelector('#task-result[data-status="succeeded"]', WAIT);
    expect(await page.textContent("#task-result")).toContain("2 of 3");
    await page.waitForSelector(item, { state: "detached", ...WAIT });
    const task = await client.getTask(created!.id);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("draws the last hour: throughput and run-time charts with data", async () => {
    const seeded = await seedHistory(stack.info, "images");
    expect(seeded.succeeded).toBeGreaterThan(1000);
    await page.click('tr[data-queue="images"]');
    await page.waitForFunction(() => document.querySelector("#chart-queue")?.textContent === "images", undefined, WAIT);
    const points = await page.$eval('#throughput-chart path[data-series="succeeded"]', (p) => (p.getAttribute("d") ?? "").split(/[ML]/).length - 1);
    expect(points).toBeGreaterThanOrEqual(50);
    const latency = await page.$eval('#latency-chart path[data-series="p95"]', (p) => (p.getAttribute("d") ?? "").length);
    expect(latency).toBeGreaterThan(100);
    const deadCell = 'tr[data-queue="images"] td.dead-count';
    await page.waitForFunction(([sel, n]) => document.querySelector(sel!)?.textContent === n, [deadCell, String(seeded.dead)], WAIT);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    // the README's picture (dev/docs/dashboard.png is a copy): queues, charts and the dead tasks
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-readme.png"), clip: { x: 0, y: 0, width: 1280, height: 1000 } });

    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-dark.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // the charts redraw at the width they are shown, keeping their labels readable
    await page.waitForFunction(() => (document.querySelector("#throughput-chart") as SVGSVGElement).viewBox.baseVal.width < 400, undefined, WAIT);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-phone-top.png") });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it("shows the selected queue's busiest flow-control keys with their limits", async () => {
    // paused: no worker claims, so the counts stay as enqueued
    await client.pauseQueue("tenants");
    const keyed = (key: string, n: number) => Array.from({ length: n }, (_, i) => ({ fn: "echo", input: { key, i }, flowControl: { key, parallelism: 2, rate: 10 } }));
    await client.enqueueMany("tenants", [...keyed("globex", 2), ...keyed("acme", 5)]);
    await page.click('tr[data-queue="tenants"]');
    await page.waitForSelector('#flow:not([hidden]) tr[data-flow-key="globex"]', WAIT);
    const rows = await page.$$eval("#flow-keys tbody tr", (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent)));
    expect(rows).toEqual([
      ["acme", "0", "5", "0", "2 at once · 10 per 1 s"],
      ["globex", "0", "2", "0", "2 at once · 10 per 1 s"],
    ]);
    await (await page.$("#flow"))!.screenshot({ path: join(ARTIFACTS, "dashboard-flow.png") });
  });

  it("follows a map-reduce job's progress to its result", async () => {
    const job = await client.startJob("estimate-pi", { tasks: 12, samples: 20_000 }, "jobs");
    expect(job.total).toBe(12);
    await page.fill("#job-id", job.id);
    await page.click("#job-form button");
    await page.waitForSelector('#job-result[data-status="succeeded"]', WAIT);
    const text = (await page.textContent("#job-result")) ?? "";
    expect(text).toContain("12 / 12 done, 0 failed");
    expect(text).toContain("3.1");
    const width = await page.$eval("#job-result .progress .done", (bar) => (bar as HTMLElement).style.width);
    expect(width).toBe("100%");
    await (await page.$("#job-result"))!.screenshot({ path: join(ARTIFACTS, "dashboard-job.png") });
  });

  it("looks up a task by id and signs out", async () => {
    const { id } = await client.enqueue("default", { fn: "echo", input: { hello: "dashboard" } });
    await page.fill("#task-id", id);
    await page.click("#task-form button");
    await page.waitForSelector(`#task-result[data-status="succeeded"]:has-text("${id}")`, WAIT);
    expect(await page.textContent("#task-result")).toContain("dashboard");
    await page.click("#logout");
    await page.waitForSelector("#login:not([hidden])", WAIT);
    expect(await page.evaluate(() => sessionStorage.getItem("edgeq.token"))).toBeNull();
  });
});
