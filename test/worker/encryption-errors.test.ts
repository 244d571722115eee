import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createBudget } from "../../src/runtime/budget";
import { PUSH_BUDGET, runtimeFromEnv } from "../../src/runtime/runtime";
import { defineFunction, PermanentError } from "../../src/runtime/function";
import { runInvocation } from "../../src/runtime/invocation";
import { registry } from "../../src/runtime/registry";
import { createPayloadCipher, SEALED_TEXT_PREFIX } from "../../src/security/cipher";
import { sealingTasks } from "../../src/security/sealed-stores";
import { directQueue, queueName } from "./helpers";
import { dumpRedis } from "./redis-dump";
import { callWith, freshToken } from "./security-helpers";
import { splitTaskId } from "../../src/queue/ids";

const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const token = freshToken("enc-err");
const bindings = { EDGEQ_TOKENS: `${token}:admin`, EDGEQ_ENCRYPTION_KEYS: `k1:${key}`, EDGEQ_LOG_LEVEL: "error" };

// A function whose error message carries its input, as careless code does.
const leaky = defineFunction({
  name: "leaky",
  input: z.object({ secret: z.string() }),
  run: ({ secret }) => {
    throw new PermanentError(`could not use ${secret} ${"é".repeat(3_000)}`);
  },
});

describe("error texts with encryption at rest", () => {
  it("are sealed in Redis, opened by the API, and fit the queue core's limit whole", async () => {
    const queue = queueName("enc-err");
    const secret = `in-an-error-${crypto.randomUUID()}`;
    const cipher = createPayloadCipher(bindings.EDGEQ_ENCRYPTION_KEYS);
    const [enqueued] = await sealingTasks(directQueue(), cipher).enqueue(queue, [{ fn: "leaky", input: { secret } }]);
    const runtime = runtimeFromEnv({ ...env, ...bindings }, { functions: registry([leaky]) });
    const report = await runInvocation(queue, createBudget(PUSH_BUDGET, runtime.clock), runtime);
    expect(report).toMatchObject({ claimed: 1, dead: 1 });

    const stored = await directQueue().get(enqueued!.id);
    expect(stored?.error?.startsWith(SEALED_TEXT_PREFIX)).toBe(true);
    const shown = await callWith<{ status: string; error: string; errors: string[] }>(bindings, "GET", `/v1/tasks/${enqueued!.id}`, { token });
    expect(shown.body.status).toBe("dead");
    expect(shown.body.error).toContain(`could not use ${secret}`);
    expect(shown.body.errors).toEqual([shown.body.error]);
    const dead = await callWith<{ tasks: { error: string }[] }>(bindings, "GET", `/v1/queues/${queue}/dead`, { token });
    expect(dead.body.tasks[0]?.error).toContain(secret);

    const everything = [...(await dumpRedis())].map(([k, v]) => `${k}=${v}`).join("\n");
    expect(everything).toContain(splitTaskId(enqueued!.id)!.local);
    expect(everything).not.toContain(secret);
  });

  it("fail a task whose input key was dropped retryably, without running it, and name the key", async () => {
    const queue = queueName("enc-dropped");
    let ran = 0;
    const counted = defineFunction({ name: "counted", input: z.unknown(), run: () => void ran++ });
    const [enqueued] = await sealingTasks(directQueue(), createPayloadCipher(`k1:${key}`)).enqueue(queue, [{ fn: "counted", input: { n: 1 } }]);
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    // k1 dropped from the secret too early: the worker holds only k2.
    const runtime = runtimeFromEnv({ ...env, ...bindings, EDGEQ_ENCRYPTION_KEYS: `k2:${other}` }, { functions: registry([counted]) });
    const report = await runInvocation(queue, createBudget(PUSH_BUDGET, runtime.clock), runtime);
    expect(report).toMatchObject({ claimed: 1, retrying: 1, dead: 0 });
    expect(ran).toBe(0);
    const stored = await directQueue().get(enqueued!.id);
    expect(stored).toMatchObject({ status: "delayed", attempts: 1 });
    // The attempt's error (sealed, if at all, with the worker's own key) names the missing key.
    expect(await createPayloadCipher(`k2:${other}`).openText(String(stored?.error), "error", queue)).toMatch(/"k1"/);
  });
});
