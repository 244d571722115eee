/**
 * What the worker tests share: calling the Worker as a client would, a direct queue handle for
 * arranging state (claims, failures) that no HTTP route exposes, and QStash-style signing.
 */
import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { expect } from "vitest";
import type { TaskQueue } from "../../src/queue/types";
import { clientsFromEnv } from "../../src/runtime/clients";
import { TEST_TOKENS } from "./fixtures";

export const ORIGIN = "http://edgeq.test";
export const WORK_URL = `${ORIGIN}/v1/work`;

export interface CallOptions {
  /** A named test token, a raw bearer value, or null for no Authorization header. Default: admin. */
  token?: keyof typeof TEST_TOKENS | { raw: string } | null;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? "admin" : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${typeof token === "string" ? TEST_TOKENS[token] : token.raw}`);
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const response = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body: body ?? null }));
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

/** Asserts an RFC 9457 answer with this status, and (when given) that `errors` names `field`. */
export function expectProblem(answer: Answer<unknown>, status: number, field?: string): ProblemBody {
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  const problem = answer.body as ProblemBody;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:edgeq:problem:/) });
  expect(problem.title).toBeTruthy();
  expect(problem.detail).toBeTruthy();
  if (field !== undefined) expect(problem.errors?.map((error) => error.field)).toContain(field);
  return problem;
}

export { queueName } from "../support/names";

/** The queue core over the same REST server as the Worker, for arranging state directly. */
export function directQueue(): TaskQueue {
  return clientsFromEnv(env).tasks;
}

export interface Delivery {
  body: string;
  url?: string;
  key?: string;
  /** Seconds since the epoch; defaults to now. */
  issuedAt?: number;
  /** Seconds the signature stays valid; QStash uses 5 minutes. */
  lifetime?: number;
  notBefore?: number;
  /** The signature's jti; a fresh one when omitted. */
  jti?: string;
}

/** An Upstash-Signature as QStash makes it: HS256 JWT over the destination URL and the body's SHA-256. */
export async function signDelivery(delivery: Delivery): Promise<string> {
  const now = delivery.issuedAt ?? Math.floor(Date.now() / 1_000);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(delivery.body)));
  const bodyHash = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return new SignJWT({ body: bodyHash })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(delivery.url ?? WORK_URL)
    .setIssuedAt(now)
    .setNotBefore(delivery.notBefore ?? now)
    .setExpirationTime(now + (delivery.lifetime ?? 300))
    .setJti(delivery.jti ?? `jwt_${crypto.randomUUID()}`)
    .sign(new TextEncoder().encode(delivery.key ?? env.QSTASH_CURRENT_SIGNING_KEY));
}

/** Polls the Worker until the task is final; bounded by the count, not by a clock. */
export async function settledTask(id: string, attempts = 40): Promise<Record<string, unknown>> {
  for (let i = 0; i < attempts; i++) {
    const answer = await call("GET", `/v1/tasks/${id}?wait=1`, { token: "read" });
    expect(answer.status).toBe(200);
    if (["succeeded", "dead", "canceled"].includes(String(answer.body.status))) return answer.body;
  }
  throw new Error(`task ${id} did not settle`);
}
