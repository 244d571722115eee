import { describe, expect, it } from "vitest";
import { createPayloadCipher, isSealed, parseEncryptionKeys, PayloadKeyError, sealedCapacity } from "../../src/security/cipher";
import { toBase64Url } from "../../src/security/base64";
import { directQueue, expectProblem, queueName } from "./helpers";
import { dumpRedis } from "./redis-dump";
import { callWith, freshToken, pushWith } from "./security-helpers";
import { splitTaskId } from "../../src/queue/ids";

const randomKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const [K1, K2] = [randomKey(), randomKey()];
const token = freshToken("enc");
const EDGEQ_TOKENS = `${token}:admin`;
const withK1 = { EDGEQ_TOKENS, EDGEQ_ENCRYPTION_KEYS: `k1:${K1}` };
const rotated = { EDGEQ_TOKENS, EDGEQ_ENCRYPTION_KEYS: `k2:${K2}, k1:${K1}` };
const onlyK2 = { EDGEQ_TOKENS, EDGEQ_ENCRYPTION_KEYS: `k2:${K2}` };
const off = { EDGEQ_TOKENS };

async function enqueueSecret(bindings: object, queue: string, secret: string): Promise<string> {
  const answer = await callWith<{ id: string }>(bindings, "POST", `/v1/queues/${queue}/tasks`, {
    token,
    json: { fn: "echo", input: { note: secret, unicode: "¿𝄞 \u202e" } },
  });
  expect(answer.status).toBe(202);
  return answer.body.id;
}

describe("encryption at rest (EDGEQ_ENCRYPTION_KEYS)", () => {
  it("stores no plaintext input or result in Redis, while the API returns both in the clear", async () => {
    const queue = queueName("enc");
    const secret = `plaintext-${crypto.randomUUID()}`;
    const id = await enqueueSecret(withK1, queue, secret);
    const report = await pushWith(withK1, queue);
    expect(report.body).toMatchObject({ claimed: 1, succeeded: 1 });

    const task = await callWith(withK1, "GET", `/v1/tasks/${id}`, { token });
    expect(task.body).toMatchObject({ status: "succeeded", input: { note: secret }, result: { note: secret } });

    const dump = await dumpRedis();
    const everything = [...dump].map(([key, value]) => `${key}=${value}`).join("\n");
    expect(everything).toContain(splitTaskId(id)!.local); // the task is there (stored by its local id)...
    expect(everything).toContain("$edgeq:enc"); // ...sealed...
    expect(everything).not.toContain(secret); // ...and its secret nowhere.
    expect(everything).not.toContain(secret.slice(10, 30));

    // The queue core stores the sealed form as any JSON: input and result both sealed with k1.
    const raw = await directQueue().get(id);
    expect(isSealed(raw?.input) && isSealed(raw?.result)).toBe(true);
    expect((raw?.result as Record<string, string>)["$edgeq:enc"]).toMatch(/^k1\./);
    // With encryption switched off, a sealed task is a loud misconfiguration, not a silent envelope.
    expect(expectProblem(await callWith(off, "GET", `/v1/tasks/${id}`, { token }), 500).detail).toMatch(/EDGEQ_ENCRYPTION_KEYS/);
  });

  it("rotates keys: the first key seals, older keys still open, a dropped key is named", async () => {
    const queue = queueName("enc-rot");
    const [old, fresh] = [`old-${crypto.randomUUID()}`, `new-${crypto.randomUUID()}`];
    const oldId = await enqueueSecret(withK1, queue, old);
    const newId = await enqueueSecret(rotated, queue, fresh);
    expect(((await directQueue().get(newId))?.input as Record<string, string>)["$edgeq:enc"]).toMatch(/^k2\./);
    expect((await pushWith(rotated, queue)).body).toMatchObject({ claimed: 2, succeeded: 2 });
    for (const [id, secret] of [[oldId, old], [newId, fresh]] as const) {
      expect((await callWith(rotated, "GET", `/v1/tasks/${id}`, { token })).body).toMatchObject({ result: { note: secret } });
    }
    // The old task's input was sealed with k1: dropping k1 too early makes it unreadable, and says so.
    expect(expectProblem(await callWith(onlyK2, "GET", `/v1/tasks/${oldId}`, { token }), 500).detail).toMatch(/"k1"/);
    expect((await callWith(onlyK2, "GET", `/v1/tasks/${newId}`, { token })).body).toMatchObject({ input: { note: fresh } });
  });

  it("refuses altered ciphertexts and sealed values moved to another queue or kind", async () => {
    const cipher = createPayloadCipher(`k1:${K1}`);
    const sealed = await cipher.seal({ n: 1 }, "input", "qa");
    expect(await cipher.open(sealed, "input", "qa")).toEqual({ n: 1 });
    await expect(cipher.open(sealed, "input", "qb")).rejects.toThrow(PayloadKeyError);
    await expect(cipher.open(sealed, "result", "qa")).rejects.toThrow(PayloadKeyError);
    const [id, iv, ct] = sealed["$edgeq:enc"].split(".");
    const flipped = toBase64Url(Uint8Array.from(atob(ct!.replace(/-/g, "+").replace(/_/g, "/")), (c, i) => c.charCodeAt(0) ^ (i === 0 ? 1 : 0)));
    await expect(cipher.open({ "$edgeq:enc": `${id}.${iv}.${flipped}` }, "input", "qa")).rejects.toThrow(/altered/);
    // The largest plaintext the limits allow still fits the queue core's 64 KB once sealed.
    const largest = "x".repeat(sealedCapacity(65_536) - 2);
    expect(JSON.stringify(await cipher.seal(largest, "result", "a".repeat(64))).length).toBeLessThanOrEqual(65_536);
    // Two seals of one value differ (random IV), and a plain value passes through untouched.
    expect((await cipher.seal({ n: 1 }, "input", "qa"))["$edgeq:enc"]).not.toBe(sealed["$edgeq:enc"]);
    expect(await cipher.open({ n: 1 }, "input", "qa")).toEqual({ n: 1 });
  });

  it("refuses an input too large to fit once sealed, naming the field (without R2: with it, the input goes there)", async () => {
    const answer = await callWith({ ...withK1, BLOBS: undefined }, "POST", `/v1/queues/${queueName("enc-big")}/tasks`, {
      token,
      json: { tasks: [{ fn: "echo", input: 1 }, { fn: "echo", input: "x".repeat(60_000) }] },
    });
    expect(expectProblem(answer, 400, "tasks[1].input").detail).toMatch(/with encryption at rest the limit is/);
  });

  it("refuses a malformed key secret with a message naming the entry", () => {
    expect(() => parseEncryptionKeys("")).toThrow(/no key/);
    expect(() => parseEncryptionKeys("k1:c2hvcnQ=")).toThrow(/16 or 32 bytes/);
    expect(() => parseEncryptionKeys(`k1:${K1},k1:${K2}`)).toThrow(/appears twice/);
    expect(() => parseEncryptionKeys(`k1:${K1},k 2:${K2}`)).toThrow(/entry 2/);
    expect(() => parseEncryptionKeys(`k1:not base64!`)).toThrow(/not base64/);
  });
});
