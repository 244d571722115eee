/**
 * Calling the app with bindings of the test's own (scoped tokens, a rate limit, encryption keys)
 * while every other binding stays the worker project's: the real REST and QStash dev servers.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { functions } from "../../functions/index";
import { createApp } from "../../src/http/app";
import type { Env } from "../../src/env";
import { type Answer, ORIGIN, signDelivery, WORK_URL } from "./helpers";

export type Bindings = Partial<Env>;

/** The app as src/index.ts builds it, for calls with bindings of the test's own. */
export const app = createApp({ functions });

/** A fresh token no other test or run uses (rate-limit windows are keyed by token). */
export function freshToken(label: string): string {
  return `${label}-${crypto.randomUUID().replace(/-/g, "")}`;
}

export interface SecureCall {
  token?: string | null;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export async function callWith<T = Record<string, unknown>>(
  bindings: Bindings,
  method: string,
  path: string,
  options: SecureCall = {},
): Promise<Answer<T>> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const ctx = createExecutionContext();
  const response = await app.request(`${ORIGIN}${path}`, { method, headers, body: body ?? null }, { ...env, ...bindings }, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** Runs one push invocation of `queue` with these bindings, signed as QStash signs. */
export async function pushWith(bindings: Bindings, queue: string): Promise<Answer<Record<string, unknown>>> {
  const body = JSON.stringify({ queue });
  const headers = { "content-type": "application/json", "upstash-signature": await signDelivery({ body, url: WORK_URL }) };
  return callWith(bindings, "POST", "/v1/work", { body, headers });
}
