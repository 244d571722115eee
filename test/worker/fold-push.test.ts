/**
 * A fold push through POST /v1/work (`{"queue":…,"fold":true}`, src/runtime/jobs/fold-push.ts):
 * the Worker folds the queue's job results and claims nothing; its delivery takes a replay mark
 * like any push, so the same signature sent again is refused.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { estimatePi } from "../../functions/estimate-pi";
import { call, directQueue, expectProblem, queueName, signDelivery, WORK_URL } from "./helpers";

async function deliver(body: string, signature: string): Promise<Response> {
  const headers = { "content-type": "application/json", "upstash-signature": signature, "upstash-message-id": "msg_fold" };
  return exports.default.fetch(new Request(WORK_URL, { method: "POST", headers, body }));
}

describe("a fold push", () => {
  it("folds the results a worker settled and never folded, claims nothing, and is refused when replayed", async () => {
    const queue = queueName("foldpush");
    const input = { tasks: 4, samples: 20, seed: 3 };
    const started = await call<{ id: string }>("POST", "/v1/jobs", { json: { fn: "estimate-pi", input, queue } });
    expect(started.status).toBe(202);
    // A worker ran three of the four map tasks and died before its fold: their results wait in the outbox.
    const claimed = (await directQueue().claim(queue, 4)).slice(0, 3);
    const completions = claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: estimatePi.map(task.input as never, undefined as never) }));
    expect((await directQueue().complete(queue, completions)).map((outcome) => outcome.outcome)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect((await call("GET", `/v1/jobs/${started.body.id}`)).body).toMatchObject({ status: "running", done: 0 });

    const body = JSON.stringify({ queue, fold: true });
    const signature = await signDelivery({ body });
    const answer = await deliver(body, signature);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ queue, claimed: 0, published: 0 });
    expect((await call("GET", `/v1/jobs/${started.body.id}`)).body).toMatchObject({ status: "running", done: 3 });
    // The fourth task is still running (its lease held): the fold push claimed nothing.
    expect((await directQueue().getQueue(queue)).counts).toMatchObject({ running: 4 - 3, succeeded: 3 });

    const replayed = await deliver(body, signature);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { detail: string }).detail).toMatch(/used already/);
  });

  it("refuses a body whose fold is not true, naming the field", async () => {
    const body = JSON.stringify({ queue: queueName("foldbad"), fold: "yes" });
    const answer = await deliver(body, await signDelivery({ body }));
    const text = await answer.text();
    expectProblem({ status: answer.status, headers: answer.headers, body: JSON.parse(text) }, 400, "fold");
  });
});
