/**
 * Bearer-token auth with scopes and queue restrictions. Every route but /health and /v1/work
 * (which QStash signs) uses it.
 *
 * Queue restrictions are deny-by-default: a route with a `{queue}` path parameter is checked here;
 * any other route refuses a queue-restricted token unless it says it checks the queue itself
 * (`queues: "handler"`, e.g. a task read, whose queue is known only once the task is read) or that
 * it shows no queue's data (`queues: "none"`). A route added later without thinking of it is closed
 * to restricted tokens, not open.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ProblemError } from "../problem";
import { hasScope, parseTokens, reachesQueue, type Scope, TokenConfigError, type TokenEntry, tokenOf } from "../tokens";
import type { AppEnv } from "../types";

// Parsed once per isolate and secret value: hashing every token on every request would be waste.
let cached: { secret: string; tokens: Promise<TokenEntry[]> } | undefined;

function tokensFor(secret: string): Promise<TokenEntry[]> {
  if (cached?.secret !== secret) cached = { secret, tokens: parseTokens(secret) };
  return cached.tokens;
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="edgeq"' };

function unauthorized(detail: string): ProblemError {
  return new ProblemError({ status: 401, kind: "unauthorized", title: "Unauthorized", detail }, CHALLENGE);
}

function forbidden(detail: string): ProblemError {
  return new ProblemError({ status: 403, kind: "forbidden", title: "Forbidden", detail });
}

/** How a route relates to queue-restricted tokens (see the file comment). */
export type QueueCheck = "path" | "handler" | "none";

/**
 * Lets the request through when its bearer token holds `scope` (admin holds every scope) and
 * reaches the route's queue; "any" lets any valid token through.
 */
export function requireScope(scope: Scope | "any", queues: QueueCheck = "path") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (!header) throw unauthorized("Send Authorization: Bearer <token>");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthorized("The Authorization header must be Bearer <token>");

    let tokens: TokenEntry[];
    try {
      tokens = await tokensFor(c.env.EDGEQ_TOKENS ?? "");
    } catch (error) {
      if (error instanceof TokenConfigError) {
        throw new ProblemError({ status: 500, kind: "misconfigured", title: "Server misconfigured", detail: error.message });
      }
      throw error;
    }

    const token = await tokenOf(match[1], tokens);
    if (!token) throw unauthorized("The token is not valid");
    if (scope !== "any" && !hasScope(token.scopes, scope)) throw forbidden(`This token lacks the "${scope}" scope`);
    if (queues === "path" && !token.queues.all) {
      const queue = c.req.param("queue");
      // Refused whether or not the queue exists: the answer reveals nothing about other queues.
      if (queue === undefined) throw forbidden("This token is limited to some queues; this route covers all of them");
      if (!reachesQueue(token.queues, queue)) throw forbidden(`This token does not reach queue "${queue}"`);
    }
    c.set("scopes", token.scopes);
    c.set("token", token);
    await next();
  });
}

/**
 * For routes marked `queues: "handler"`: whether the caller's token reaches `queue`. A task or job
 * of a queue the token does not reach is answered as not found, so ids reveal nothing.
 */
export function tokenReaches(c: Context<AppEnv>, queue: string): boolean {
  return reachesQueue(c.var.token.queues, queue);
}
