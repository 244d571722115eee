/**
 * Bearer-token auth with scopes. Every route but /health and /v1/work (which QStash signs) uses it.
 */
import { createMiddleware } from "hono/factory";
import { ProblemError } from "../problem";
import { hasScope, parseTokens, type Scope, scopesOf, TokenConfigError, type TokenEntry } from "../tokens";
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

/**
 * Lets the request through when its bearer token holds `scope` (admin holds every scope);
 * "any" lets any valid token through.
 */
export function requireScope(scope: Scope | "any") {
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

    const scopes = await scopesOf(match[1], tokens);
    if (!scopes) throw unauthorized("The token is not valid");
    if (scope !== "any" && !hasScope(scopes, scope)) {
      throw new ProblemError({
        status: 403,
        kind: "forbidden",
        title: "Forbidden",
        detail: `This token lacks the "${scope}" scope`,
      });
    }
    c.set("scopes", scopes);
    await next();
  });
}
