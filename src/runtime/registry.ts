/**
 * The lookup from a task's `fn` name to the code that runs it. functions/index.ts builds one; the
 * runtime and GET /v1/functions read it. Entries carry a `kind` so that job (map/reduce) functions
 * can join task functions later without changing the lookups.
 */
import { z } from "zod";
import type { TaskFunction } from "./types";

export type FunctionKind = "task";

/** What GET /v1/functions shows for one function. */
export interface FunctionInfo {
  name: string;
  kind: FunctionKind;
  description: string | null;
  maxAttempts: number | null;
  timeoutMs: number | null;
  /** JSON Schema (draft 2020-12) of the input, from the function's zod schema. */
  inputSchema: Record<string, unknown>;
}

export interface FunctionRegistry {
  /** The task function registered under `name`, if any. */
  task(name: string): TaskFunction | undefined;
  has(name: string): boolean;
  names(): string[];
  list(): FunctionInfo[];
}

export function registry(taskFunctions: readonly TaskFunction[]): FunctionRegistry {
  const tasks = new Map<string, TaskFunction>();
  for (const fn of taskFunctions) {
    if (tasks.has(fn.name)) throw new TypeError(`two functions are named "${fn.name}": names must be unique`);
    tasks.set(fn.name, fn);
  }
  // Schemas do not change at run time, so their JSON form is computed once, on first request.
  let infos: FunctionInfo[] | undefined;
  return {
    task: (name) => tasks.get(name),
    has: (name) => tasks.has(name),
    names: () => [...tasks.keys()],
    list: () => (infos ??= [...tasks.values()].map(describeTask)),
  };
}

function describeTask(fn: TaskFunction): FunctionInfo {
  return {
    name: fn.name,
    kind: "task",
    description: fn.description ?? null,
    maxAttempts: fn.maxAttempts ?? null,
    timeoutMs: fn.timeoutMs ?? null,
    // "any" keeps a refinement or transform the JSON Schema cannot express from breaking the listing.
    inputSchema: z.toJSONSchema(fn.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
  };
}
