/**
 * With several worker processes the stack's URL is served by the balancer in a process of its own
 * (dev/balancer-main.ts), apart from the REST and QStash servers, as Cloudflare's edge is in
 * production: clients and QStash's pushes reach the workers through it, and a worker that died is
 * passed over.
 */
import { describe, expect, it } from "vitest";
import { freshQueue, useStack } from "./stack-fixture";

const fixture = useStack({ workers: 2, cronEverySeconds: 0 });

describe("the stack's balancer process", () => {
  it("serves the stack's URL from a process of its own, pushes included", async () => {
    const { stack, client } = fixture;
    const balancer = stack.balancer;
    if (!balancer) throw new Error("a stack of two workers has no balancer");
    expect(balancer.pid).not.toBe(process.pid);
    expect(stack.workers.map((worker) => worker.pid)).not.toContain(balancer.pid);
    expect(() => process.kill(balancer.pid, 0)).not.toThrow();
    expect(new URL(stack.info.workerUrl).port).toBe(String(balancer.port));
    // the push that runs the task is delivered to EDGEQ_PUBLIC_URL, the balancer's URL too
    const { id } = await client.enqueue(freshQueue("balancer"), { fn: "echo", input: { through: "balancer" } });
    const task = await client.getTask(id, 20);
    expect(task).toMatchObject({ status: "succeeded", result: { through: "balancer" } });
  }, 60_000);

  it("passes over a worker that died, then stops serving once it is closed", async () => {
    const { stack } = fixture;
    await stack.workers[0]!.kill("SIGKILL");
    // round robin: every other request would go to the dead worker; each is sent on to the live one
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${stack.info.workerUrl}/health`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    await stack.balancer!.close();
    await expect(fetch(`${stack.info.workerUrl}/health`)).rejects.toThrow();
    // the worker itself still answers: it was the balancer's process that served the URL
    expect((await fetch(`${stack.workers[1]!.url}/health`)).status).toBe(200);
  }, 60_000);
});
