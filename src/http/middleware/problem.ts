/**
 * The app's one error handler and its not-found handler: whatever goes wrong leaves as problem+json.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { RouterRoute } from "hono/types";
import { problemForQueueError } from "../errors";
import { type Problem, ProblemError, problemResponse } from "../problem";
import type { AppEnv } from "../types";

/** Titles and slugs for the statuses Hono's own middleware and validators throw. */
const HTTP_PROBLEMS: Record<number, { kind: string; title: string }> = {
  400: { kind: "bad-request", title: "Bad request" },
  401: { kind: "unauthorized", title: "Unauthorized" },
  404: { kind: "not-found", title: "Not found" },
  413: { kind: "payload-too-large", title: "Payload too large" },
  415: { kind: "unsupported-media-type", title: "Unsupported media type" },
};

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
  const queueProblem = problemForQueueError(error);
  if (queueProblem) return problemResponse(queueProblem);
  if (error instanceof HTTPException) return problemResponse(httpProblem(error));
  console.error(JSON.stringify({ msg: "unhandled error", path: c.req.path, error: String(error), stack: (error as Error)?.stack }));
  return problemResponse({
    status: 500,
    kind: "internal",
    title: "Internal server error",
    detail: "The request failed on the server; the Worker's logs have the cause",
  });
};

function httpProblem(error: HTTPException): Problem {
  const known = HTTP_PROBLEMS[error.status] ?? { kind: "http-error", title: "Request failed" };
  const detail =
    error.status === 415
      ? "Send the body as JSON with Content-Type: application/json"
      : error.status === 413
        ? "The request body is larger than this API accepts"
        : error.message || known.title;
  const kind = error.status === 400 && /json/i.test(error.message) ? "malformed-json" : known.kind;
  return { status: error.status, kind, title: known.title, detail };
}

/** 405 with Allow when the path exists under other methods, 404 otherwise. */
export function notFound(routes: () => readonly RouterRoute[]): NotFoundHandler<AppEnv> {
  return (c: Context<AppEnv>) => {
    const allowed = allowedMethods(routes(), c.req.path);
    if (allowed.length > 0) {
      return problemResponse(
        {
          status: 405,
          kind: "method-not-allowed",
          title: "Method not allowed",
          detail: `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(", ")}`,
        },
        { allow: allowed.join(", ") },
      );
    }
    return problemResponse({ status: 404, kind: "not-found", title: "Not found", detail: `No route for ${c.req.path}` });
  };
}

function allowedMethods(routes: readonly RouterRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || !pathPattern(route.path).test(path)) continue;
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
  }
  return [...methods].sort();
}

const patterns = new Map<string, RegExp>();

/** Hono route path (`/v1/tasks/:id`) → an anchored regex; only plain `:param` segments are used here. */
function pathPattern(routePath: string): RegExp {
  let pattern = patterns.get(routePath);
  if (!pattern) {
    const source = routePath
      .split("/")
      .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    pattern = new RegExp(`^${source}/?$`);
    patterns.set(routePath, pattern);
  }
  return pattern;
}
