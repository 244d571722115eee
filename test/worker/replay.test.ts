import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { queueName, signDelivery, WORK_URL } from "./helpers";

const queue = queueName("replay");
const body = JSON.stringify({ queue });

async function deliver(signature: string, messageId = "msg_replay"): Promise<Response> {
  const headers = { "content-type": "application/json", "upstash-signature": signature, "upstash-message-id": messageId };
  return exports.default.fetch(new Request(WORK_URL, { method: "POST", headers, body }));
}

async function refusal(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return ((await response.json()) as { detail: string }).detail;
}

/** A signature as QStash makes one, with a claim left out or another issuer on demand. */
async function signWithout(claim: "jti" | "exp" | null, issuer = "Upstash"): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  const bodyHash = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const now = Math.floor(Date.now() / 1_000);
  const jwt = new SignJWT({ body: bodyHash }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuer(issuer).setSubject(WORK_URL).setIssuedAt(now).setNotBefore(now);
  if (claim !== "jti") jwt.setJti(`jwt_${crypto.randomUUID()}`);
  if (claim !== "exp") jwt.setExpirationTime(now + 300);
  return jwt.sign(new TextEncoder().encode(env.QSTASH_CURRENT_SIGNING_KEY));
}

describe("QStash delivery replay", () => {
  it("accepts a delivery once and refuses the same signature sent again", async () => {
    const signature = await signDelivery({ body });
    expect((await deliver(signature)).status).toBe(200);
    expect(await refusal(await deliver(signature))).toMatch(/used already/);
    // Another message id does not make the captured signature new again.
    expect(await refusal(await deliver(signature, "msg_other"))).toMatch(/used already/);
  });

  it("accepts QStash's retry of the same message: a new signature with a new jti", async () => {
    expect((await deliver(await signDelivery({ body }), "msg_retried"))).toHaveProperty("status", 200);
    expect((await deliver(await signDelivery({ body }), "msg_retried"))).toHaveProperty("status", 200);
  });

  it("refuses a valid signature without a jti or without an expiry", async () => {
    expect(await refusal(await deliver(await signWithout("jti")))).toMatch(/jti/);
    expect(await refusal(await deliver(await signWithout("exp")))).toMatch(/expiry/);
  });

  it("refuses a signature from another issuer, even with the right key", async () => {
    expect(await refusal(await deliver(await signWithout(null, "Upstash-evil")))).toMatch(/issued by "Upstash-evil"/);
    expect((await deliver(await signWithout(null))).status).toBe(200);
  });

  it("checks the signature before marking: a forged jti takes no mark from the real one", async () => {
    // A forger who saw (or guessed) the real delivery's jti sends it first, signed with another key.
    const jti = `jwt_${crypto.randomUUID()}`;
    const forged = await signDelivery({ body, key: "sig_not-this-deployment", jti });
    expect(await refusal(await deliver(forged))).toMatch(/neither the current nor the next/);
    // The real delivery with that jti still runs: the forged one set no mark.
    expect((await deliver(await signDelivery({ body, jti }))).status).toBe(200);
    // And once it has, the jti is spent.
    expect(await refusal(await deliver(await signDelivery({ body, jti })))).toMatch(/used already/);
  });
});
