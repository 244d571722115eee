/**
 * RFC 9457 problem details: every error the API returns is one of these, as application/problem+json.
 * `errors` names each failing field so that a client can point at it without parsing prose.
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface FieldError {
  /** Dotted path of the failing value: `fn`, `tasks[3].delay`, `wait`. */
  field: string;
  message: string;
}

export interface Problem {
  status: ContentfulStatusCode;
  /** A short slug; the `type` URI is built from it so that clients can switch on it. */
  kind: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  /** The database at fault (a 503 database-unavailable when the deployment has several). */
  database?: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Thrown anywhere in a request; `app.onError` turns it into the response. */
export class ProblemError extends HTTPException {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(problem: Problem, headers: Record<string, string> = {}) {
    super(problem.status, { message: problem.detail });
    this.problem = problem;
    this.headers = headers;
  }
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  const body = {
    type: `urn:edgeq:problem:${problem.kind}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(problem.errors && problem.errors.length > 0 ? { errors: problem.errors } : {}),
    ...(problem.database ? { database: problem.database } : {}),
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers },
  });
}

/** A 400 naming one field: the shape every hand-written input check uses. */
export function invalidField(field: string, message: string): ProblemError {
  return new ProblemError({
    status: 400,
    kind: "validation",
    title: "Invalid request",
    detail: `${field}: ${message}`,
    errors: [{ field, message }],
  });
}
