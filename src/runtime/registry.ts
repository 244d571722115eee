/**
 * The lookup from a task's `fn` name to the code that runs it. functions/index.ts builds one; the
 * runtime and GET /v1/functions read it. Entries carry a `kind`: task functions, and map-reduce
 * jobs (src/runtime/job.ts), whose map tasks carry the job's name as their `fn`.
 */
import { z } from "zod";
import type { JobFunction } from "./job";
import type { ScheduleFunction } from "./schedule";
import type { TaskFunction } from "./types";
import type { FunctionInfo, FunctionKind } from "../wire/index";

export type { FunctionInfo, FunctionKind } from "../wire/index";

export interface FunctionRegistry {
  /** What runs a task named `name`: a task function, or a job's map step. */
  task(name: string): TaskFunction | undefined;
  /** A task function a client may enqueue by name (not a job's map step). */
  enqueueable(name: string): TaskFunction | undefined;
  /** The job function registered under `name`, if any. */
  job(name: string): JobFunction | undefined;
  has(name: string): boolean;
  names(): string[];
  list(): FunctionInfo[];
  /** Schedules defined in code (defineSchedule), each naming a task function of this registry. */
  schedules(): readonly ScheduleFunction[];
}

export function registry(
  taskFunctions: readonly TaskFunction[],
  jobFunctions: readonly JobFunction[] = [],
  schedules: readonly ScheduleFunction[] = [],
): FunctionRegistry {
  const tasks = new Map<string, TaskFunction>();
  const jobs = new Map<string, JobFunction>();
  const maps = new Map<string, TaskFunction>();
  for (const fn of [...taskFunctions, ...jobFunctions]) {
    if (tasks.has(fn.name) || jobs.has(fn.name)) throw new TypeError(`two functions are named "${fn.name}": names must be unique`);
    if ("split" in fn) {
      jobs.set(fn.name, fn);
      maps.set(fn.name, mapStep(fn));
    } else tasks.set(fn.name, fn);
  }
  const scheduleNames = new Set<string>();
  for (const schedule of schedules) {
    if (scheduleNames.has(schedule.name)) throw new TypeError(`two schedules are named "${schedule.name}": names must be unique`);
    scheduleNames.add(schedule.name);
    const fn = tasks.get(schedule.fn);
    if (!fn) throw new TypeError(`schedule "${schedule.name}" names "${schedule.fn}", which is not a registered task function`);
    if (!fn.input.safeParse(schedule.input ?? null).success) throw new TypeError(`schedule "${schedule.name}": its input fails the schema of "${schedule.fn}"`);
  }
  // Schemas do not change at run time, so their JSON form is computed once, on first request.
  let infos: FunctionInfo[] | undefined;
  return {
    task: (name) => tasks.get(name) ?? maps.get(name),
    enqueueable: (name) => tasks.get(name),
    job: (name) => jobs.get(name),
    has: (name) => tasks.has(name) || jobs.has(name),
    names: () => [...tasks.keys(), ...jobs.keys()],
    schedules: () => schedules,
    list: () => (infos ??= [...[...tasks.values()].map((fn) => describe(fn, "task")), ...[...jobs.values()].map((fn) => describe(fn, "job"))]),
  };
}

/** A job's map step as a task function: items were produced by split, so any JSON is accepted. */
function mapStep(job: JobFunction): TaskFunction {
  const step: TaskFunction = { name: job.name, input: z.unknown(), run: (item, ctx) => job.map(item, ctx) };
  if (job.maxAttempts !== undefined) step.maxAttempts = job.maxAttempts;
  if (job.timeoutMs !== undefined) step.timeoutMs = job.timeoutMs;
  return step;
}

function describe(fn: TaskFunction | JobFunction, kind: FunctionKind): FunctionInfo {
  return {
    name: fn.name,
    kind,
    description: fn.description ?? null,
    maxAttempts: fn.maxAttempts ?? null,
    timeoutMs: fn.timeoutMs ?? null,
    // "any" keeps a refinement or transform the JSON Schema cannot express from breaking the listing.
    inputSchema: z.toJSONSchema(fn.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
  };
}
