/** A schedule's input under encryption at rest: sealed in Redis, bound to its schedule, shown in the clear. */
import { describe, expect, it } from "vitest";
import { createScheduleStore } from "../../src/queue/schedules/store";
import { clientsFromEnv } from "../../src/runtime/index";
import { env } from "cloudflare:workers";
import { queueName } from "./helpers";
import { callWith, freshToken } from "./security-helpers";

const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const token = freshToken("sched-enc");
const withKey = { EDGEQ_TOKENS: `${token}:admin`, EDGEQ_ENCRYPTION_KEYS: `k1:${key}` };

describe("schedules with encryption at rest", () => {
  it("seal the input in the stored definition and open it for the API", async () => {
    const id = `enc-${crypto.randomUUID().slice(0, 8)}`;
    const secret = `plaintext-${crypto.randomUUID()}`;
    const created = await callWith(withKey, "POST", "/v1/schedules", { token, json: { id, cron: "0 3 * * *", fn: "echo", input: { secret }, queue: queueName("senc") } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, input: { secret } });
    const stored = await createScheduleStore(clientsFromEnv(env).redis).get(id);
    expect(JSON.stringify(stored?.input)).not.toContain(secret);
    expect(JSON.stringify(stored?.input)).toContain("$edgeq:enc");
    const read = await callWith(withKey, "GET", `/v1/schedules/${id}`, { token });
    expect(read.body).toMatchObject({ input: { secret } });
    await callWith(withKey, "DELETE", `/v1/schedules/${id}`, { token });
  });
});
