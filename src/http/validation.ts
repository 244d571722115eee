/**
 * Turns zod failures into problem+json: one entry per failing field, the first one in `detail`.
 */
import type { Context } from "hono";
import type { ZodError } from "zod";
import { type FieldError, problemResponse } from "./problem";

type PathSegment = PropertyKey;

/** `["tasks", 3, "fn"]` → `tasks[3].fn`, the form a JSON user recognises. */
export function fieldPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

type Issue = ZodError["issues"][number];

export function fieldErrors(error: ZodError, prefix: readonly PathSegment[] = []): FieldError[] {
  return issueErrors(error.issues, prefix);
}

function issueErrors(issues: readonly Issue[], prefix: readonly PathSegment[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    // A union (one task or {tasks}) fails in every branch; the branch with the fewest complaints is
    // the one the caller meant, and its issues name the real field.
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      errors.push(...issueErrors(closest, path));
      continue;
    }
    // A strict object reports unknown keys on the object itself; name each key instead.
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) errors.push({ field: fieldPath([...path, key]), message: "unknown field" });
      continue;
    }
    errors.push({ field: fieldPath(path) || "(body)", message: issue.message });
  }
  return errors;
}

const TARGET_NAMES: Record<string, string> = {
  json: "request body",
  param: "path",
  query: "query string",
  header: "headers",
};

export function validationProblem(error: ZodError, target: string, prefix: readonly PathSegment[] = []): Response {
  const errors = fieldErrors(error, prefix);
  const first = errors[0];
  const where = TARGET_NAMES[target] ?? target;
  return problemResponse({
    status: 400,
    kind: "validation",
    title: "Invalid request",
    detail: first ? `Invalid ${where}: ${first.field}: ${first.message}` : `Invalid ${where}`,
    errors,
  });
}

/** The `defaultHook` of every OpenAPIHono in the app. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  _c: Context,
): Response | undefined {
  if (result.success) return undefined;
  return validationProblem(result.error, result.target);
}
