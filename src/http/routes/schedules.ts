/**
 * Schedules: create or replace, list, read, pause, resume, delete; and the tick QStash delivers at a
 * fire time. A schedule enqueues a task function, so its fn and input are checked as an enqueue's.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { SCHEDULE_ID_PATTERN, type ScheduleStore } from "../../queue/schedules/store";
import type { ScheduleDefinition, ScheduleView } from "../../queue/schedules/types";
import { newTaskId } from "../../queue/index";
import {
  DEFAULT_SCHEDULE_QUEUE, handleScheduleTick, openScheduleInput, publishTicks, ReplayedDeliveryError, scheduleStore, sealScheduleInput, syncCodeSchedules,
} from "../../runtime/index";
import { httpCipher } from "../encryption";
import { toEnqueueRequests } from "../enqueue";
import { requireScope, tokenReaches } from "../middleware/auth";
import { replayedDelivery, requireQStashSignature } from "../middleware/qstash-signature";
import { ProblemError } from "../problem";
import { json, problems } from "../responses";
import { QueueName } from "../schemas";
import type { App, AppContext } from "../types";

const ScheduleId = z.string().regex(SCHEDULE_ID_PATTERN, "schedule ids are 1-64 characters of A-Z, a-z, 0-9, _ and -");
const ScheduleParams = z.object({ id: ScheduleId.openapi({ param: { name: "id", in: "path" } }) });

export const ScheduleBody = z
  .strictObject({
    id: ScheduleId.optional().openapi({ description: "Replaces the schedule with this id, if any (default: a new id)" }),
    cron: z.string().min(1).openapi({ description: "5 fields, or 6 with seconds first", example: "*/5 * * * *" }),
    timezone: z.string().min(1).max(64).optional().openapi({ description: "IANA time zone (default UTC)", example: "Europe/Paris" }),
    fn: z.string().min(1).max(128).openapi({ description: "A task function registered in functions/index.ts", example: "echo" }),
    input: z.unknown().optional(),
    queue: QueueName.optional().openapi({ description: `Default "${DEFAULT_SCHEDULE_QUEUE}"` }),
    paused: z.boolean().optional(),
  })
  .openapi("ScheduleRequest");

export const Schedule = z
  .object({
    id: z.string(),
    cron: z.string(),
    timezone: z.string().nullable(),
    fn: z.string(),
    input: z.unknown(),
    queue: z.string(),
    paused: z.boolean(),
    source: z.enum(["code", "api"]),
    createdAt: z.number(),
    nextRunAt: z.number().nullable(),
    lastRun: z.object({ at: z.number(), taskId: z.string(), firedAt: z.number(), error: z.string().optional() }).nullable(),
  })
  .openapi("Schedule");

/** A route on one schedule: its id in the path, the schedule in the answer. */
const idRoute = <M extends "get" | "post" | "delete">(method: M, path: string, summary: string, scope: "read" | "admin") =>
  createRoute({
    method,
    path,
    summary,
    middleware: [requireScope(scope, "handler")] as const,
    request: { params: ScheduleParams },
    responses: { 200: json(Schedule, "The schedule"), ...problems(400, 401, 403, 404, 409) },
  });

const createSchedule = createRoute({
  method: "post",
  path: "/v1/schedules",
  summary: "Create (or, with an existing id, replace) a schedule",
  middleware: [requireScope("admin", "handler")] as const,
  request: { body: { required: true, content: { "application/json": { schema: ScheduleBody } } } },
  responses: { 201: json(Schedule, "Created"), 200: json(Schedule, "Replaced"), ...problems(400, 401, 403, 409, 415) },
});
const listSchedules = createRoute({
  method: "get",
  path: "/v1/schedules",
  summary: "Every schedule with its next and last run",
  middleware: [requireScope("read", "handler")] as const,
  responses: { 200: json(z.object({ schedules: z.array(Schedule) }), "Schedules"), ...problems(401, 403) },
});
const getSchedule = idRoute("get", "/v1/schedules/{id}", "A schedule with its next and last run", "read");
const deleteSchedule = idRoute("delete", "/v1/schedules/{id}", "Delete a schedule (one defined in code: pause it instead)", "admin");
const pauseSchedule = idRoute("post", "/v1/schedules/{id}/pause", "Stop firing until resumed", "admin");
const resumeSchedule = idRoute("post", "/v1/schedules/{id}/resume", "Fire again, from the next fire time after now", "admin");

function notFound(id: string): ProblemError {
  return new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No schedule ${id}` });
}

async function reachable(store: ScheduleStore, id: string, reaches: (queue: string) => boolean): Promise<ScheduleView> {
  const view = await store.get(id);
  if (!view || !reaches(view.queue)) throw notFound(id);
  return view;
}

/** The schedule as its owner sent it: a sealed input opened. */
async function shown(c: AppContext, view: ScheduleView): Promise<ScheduleView> {
  return { ...view, input: await openScheduleInput(httpCipher(c.env), view.id, view.input) };
}

/** Stores the schedule and asks for a tick at its next fire time (best effort: the cron covers it). */
async function store(c: AppContext, definition: ScheduleDefinition) {
  const stored = await scheduleStore(c.var.clients).put(definition);
  const next = stored.view.nextRunAt;
  if (next !== null) c.executionCtx.waitUntil(publishTicks(c.var.clients)([next]).catch(() => 0));
  return stored;
}

export function registerScheduleRoutes(app: App): void {
  app.openapi(createSchedule, async (c) => {
    const body = c.req.valid("json");
    const queue = body.queue ?? DEFAULT_SCHEDULE_QUEUE;
    if (!tokenReaches(c, queue)) throw new ProblemError({ status: 403, kind: "forbidden", title: "Forbidden", detail: `This token does not reach queue "${queue}"` });
    const [checked] = toEnqueueRequests(c.var.functions, [{ fn: body.fn, input: body.input }], false);
    const id = body.id ?? newTaskId(Date.now()).toLowerCase();
    const prior = body.id === undefined ? null : await scheduleStore(c.var.clients).get(id);
    if (prior?.source === "code") {
      throw new ProblemError({ status: 409, kind: "defined-in-code", title: "Defined in code", detail: `Schedule ${id} is defined in functions/index.ts; change it there` });
    }
    const input = await sealScheduleInput(httpCipher(c.env), id, checked?.input ?? null);
    const definition: ScheduleDefinition = {
      id, cron: body.cron, timezone: body.timezone ?? null, fn: body.fn, input, queue,
      paused: body.paused ?? false, source: "api", createdAt: prior?.createdAt ?? Date.now(),
    };
    const { view, created } = await store(c, definition);
    return c.json(await shown(c, view), created ? 201 : 200);
  });

  app.openapi(listSchedules, async (c) => {
    const schedules = scheduleStore(c.var.clients);
    // A listing right after a deploy shows the code schedules before the first cron has run.
    await syncCodeSchedules(schedules, c.var.functions.schedules(), Date.now());
    const all = await schedules.list();
    return c.json({ schedules: await Promise.all(all.filter((view) => tokenReaches(c, view.queue)).map((view) => shown(c, view))) }, 200);
  });

  app.openapi(getSchedule, async (c) => c.json(await shown(c, await reachable(scheduleStore(c.var.clients), c.req.valid("param").id, (q) => tokenReaches(c, q))), 200));

  app.openapi(deleteSchedule, async (c) => {
    const { id } = c.req.valid("param");
    const schedules = scheduleStore(c.var.clients);
    const view = await reachable(schedules, id, (q) => tokenReaches(c, q));
    if (view.source === "code") {
      throw new ProblemError({ status: 409, kind: "defined-in-code", title: "Defined in code", detail: `Schedule ${id} is defined in functions/index.ts: remove it there, or pause it` });
    }
    if (!(await schedules.remove(id))) throw notFound(id);
    return c.json(await shown(c, view), 200);
  });

  for (const [definition, paused] of [[pauseSchedule, true], [resumeSchedule, false]] as const) {
    app.openapi(definition, async (c) => {
      const view = await reachable(scheduleStore(c.var.clients), c.req.valid("param").id, (q) => tokenReaches(c, q));
      if (view.paused === paused) return c.json(await shown(c, view), 200);
      const { nextRunAt: _next, lastRun: _last, ...stored } = view;
      return c.json(await shown(c, (await store(c, { ...stored, paused })).view), 200);
    });
  }

  registerTickRoute(app);
}

function registerTickRoute(app: App): void {
  app.post("/v1/schedules/tick", requireQStashSignature, async (c) => {
    const { jti, replayMark } = c.var.qstashDelivery;
    const body: unknown = await c.req.json().catch(() => null);
    const at = Number((body as { at?: unknown } | null)?.at);
    try {
      return c.json(await handleScheduleTick(c.env, Number.isFinite(at) ? at : null, { functions: c.var.functions }, replayMark), 200);
    } catch (error) {
      if (error instanceof ReplayedDeliveryError) throw replayedDelivery(jti);
      throw error;
    }
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/schedules/tick",
    summary: "QStash target: fires the schedules due (Upstash-Signature required); body {at: fire ms}",
    security: [],
    responses: { 200: { description: "What was fired: {fired, duplicates, ticks}" }, 401: { description: "Missing or invalid Upstash-Signature" } },
  });
}
