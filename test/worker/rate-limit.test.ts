import { describe, expect, it } from "vitest";
import { parseRateLimit } from "../../src/security/rate-limit";
import { expectProblem, queueName } from "./helpers";
import { callWith, freshToken } from "./security-helpers";

const queue = queueName("rate");
const [first, second] = [freshToken("rate-a"), freshToken("rate-b")];
const tokens = `${first}:enqueue+read; ${second}:enqueue+read`;
const limited = { EDGEQ_TOKENS: tokens, EDGEQ_ENQUEUE_RATE: "3/1h" };
const tasks = (n: number) => ({ tasks: Array.from({ length: n }, (_, i) => ({ fn: "echo", input: { i }, delay: "1h" })) });

async function delayedCount(): Promise<number> {
  const answer = await callWith<{ counts: { delayed: number } }>(limited, "GET", `/v1/queues/${queue}`, { token: first });
  return answer.body.counts.delayed;
}

describe("per-token enqueue rate limit", () => {
  it("counts tasks per token and refuses past the limit with 429, Retry-After and nothing written", async () => {
    expect((await callWith(limited, "POST", `/v1/queues/${queue}/tasks`, { token: first, json: tasks(2) })).status).toBe(202);
    const refused = await callWith(limited, "POST", `/v1/queues/${queue}/tasks`, { token: first, json: tasks(2) });
    expect(expectProblem(refused, 429).type).toBe("urn:edgeq:problem:rate-limited");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    expect(await delayedCount()).toBe(2);
    // A refused request took nothing: one more task still fits.
    expect((await callWith(limited, "POST", `/v1/queues/${queue}/tasks`, { token: first, json: tasks(1) })).status).toBe(202);
    expectProblem(await callWith(limited, "POST", `/v1/queues/${queue}/tasks`, { token: first, json: tasks(1) }), 429);
    expect(await delayedCount()).toBe(3);
  });

  it("keeps each token's window apart, and says when a batch can never fit", async () => {
    expect((await callWith(limited, "POST", `/v1/queues/${queue}/tasks`, { token: second, json: tasks(3) })).status).toBe(202);
    const third = freshToken("rate-c");
    const big = { EDGEQ_TOKENS: `${tokens}; ${third}:enqueue`, EDGEQ_ENQUEUE_RATE: "3/1h" };
    expect(expectProblem(await callWith(big, "POST", `/v1/queues/${queue}/tasks`, { token: third, json: tasks(4) }), 429).detail).toMatch(/split it/);
  });

  it("is off when unset, and a malformed setting fails loudly", async () => {
    const open = { EDGEQ_TOKENS: tokens };
    expect((await callWith(open, "POST", `/v1/queues/${queue}/tasks`, { token: first, json: tasks(5) })).status).toBe(202);
    const broken = { EDGEQ_TOKENS: tokens, EDGEQ_ENQUEUE_RATE: "lots" };
    expectProblem(await callWith(broken, "POST", `/v1/queues/${queue}/tasks`, { token: first, json: tasks(1) }), 500);
    expect(parseRateLimit("1000/10s")).toEqual({ limit: 1000, windowMs: 10_000 });
    expect(parseRateLimit("50/m")).toEqual({ limit: 50, windowMs: 60_000 });
    expect(parseRateLimit(undefined)).toBeNull();
    expect(() => parseRateLimit("0/s")).toThrow(/LIMIT\/WINDOW/);
  });
});
