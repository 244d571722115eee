/**
 * The dashboard's jobs and schedules panels and a task's progress, in headless Chromium against the
 * whole local stack: a job's bar fills live to its result, a schedule shows its next and last run
 * (fired by the stack's ticks and cron) and pauses, a sleeping task's progress bar moves.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack";
import { createClient, type EdgeqClient } from "../../src/client/index";
import { ARTIFACTS, type Browser, openBrowser } from "./browser";

const WAIT = { timeout: 30_000 };

describe("dashboard panels in headless Chromium", () => {
  let stack: Stack;
  let client: EdgeqClient;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ quiet: true, cronEverySeconds: 5 });
    client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
    browser = await openBrowser();
    page = browser.page;
    await page.goto(`${stack.info.workerUrl}/dashboard`);
    await page.fill("#token", stack.info.apiToken);
    await page.click("#login-form button");
    await page.waitForSelector("#app:not([hidden])", WAIT);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  it("lists recent jobs with live progress bars, and their results", async () => {
    const job = await client.startJob("estimate-pi", { tasks: 16, samples: 20_000 }, "panel-jobs");
    const item = `#jobs-list li[data-job="${job.id}"]`;
    await page.waitForSelector(item, WAIT);
    await page.waitForSelector(`${item}[data-status="succeeded"]`, WAIT);
    expect(await page.textContent(`${item} .job-count`)).toBe("16 / 16");
    expect(await page.$eval(`${item} .progress .done`, (bar) => (bar as HTMLElement).style.width)).toBe("100%");
    await page.click(`${item} summary`);
    expect(await page.textContent(`${item} .detail`)).toMatch(/"pi": 3\.1/);
    await (await page.$("#jobs"))!.screenshot({ path: join(ARTIFACTS, "dashboard-jobs.png") });
  });

  it("shows each schedule's next and last run, and pauses one", async () => {
    const created = await client.createSchedule({ id: "panel-every-2s", cron: "*/2 * * * * *", fn: "echo", input: { tick: true }, queue: "panel-sched" });
    const row = 'tr[data-schedule="panel-every-2s"]';
    await page.waitForSelector(row, WAIT);
    expect(created.nextRunAt).not.toBeNull();
    // The stack's ticks (and its cron) fire it; the panel then links the last run's task.
    await page.waitForSelector(`${row} td[data-field="last"] a`, WAIT);
    const fired = await client.getSchedule("panel-every-2s");
    expect(fired.lastRun?.taskId).toMatch(/^panel-sched~sched:panel-every-2s:\d+$/);
    expect(await page.isVisible('tr[data-schedule="nightly-heartbeat"] .pill:has-text("code")')).toBe(true);
    await (await page.$("#schedules-card"))!.screenshot({ path: join(ARTIFACTS, "dashboard-schedules.png") });
    await page.click(`${row} button[data-action="pause"]`);
    await page.waitForSelector(`${row} td[data-field="next"]:has-text("paused")`, WAIT);
    expect((await client.getSchedule("panel-every-2s")).paused).toBe(true);
    await client.deleteSchedule("panel-every-2s");
  });

  it("draws a progress bar for a running task that reports {done, total}", async () => {
    const { id } = await client.enqueue("panel-progress", { fn: "sleep", input: { ms: 6_000 } });
    await page.fill("#task-id", id);
    await page.click("#task-form button");
    await page.waitForSelector('#task-result[data-status="running"] .task-progress .progress', WAIT);
    const first = await page.$eval("#task-result .task-progress .muted", (e) => e.textContent ?? "");
    expect(first).toMatch(/^\d+ \/ 6000$/);
    await page.waitForFunction((before) => {
      const now = document.querySelector("#task-result .task-progress .muted")?.textContent;
      return now !== undefined && now !== null && now !== before;
    }, first, WAIT);
    await page.waitForSelector('#task-result[data-status="succeeded"]', WAIT);
    expect(await page.textContent("#task-result")).toContain("slept");
  });
});
