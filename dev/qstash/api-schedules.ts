import { checkQueueName, type ApiContext } from "./api-publish";
import { endOfPath, type Route } from "./http-server";
import { nextTick, planSchedule } from "./schedules";
import { QStashApiError } from "./types";
import { queueView, scheduleView } from "./views";

export function scheduleRoutes(context: ApiContext): Route[] {
  const find = async (encodedId: string) => {
    const id = decodeURIComponent(encodedId);
    const schedule = await context.catalog.schedule(id);
    if (!schedule) throw new QStashApiError(404, `schedule ${id} not found`);
    return schedule;
  };
  const setPaused = (isPaused: boolean): Route["handle"] => async (request, [id = ""]) => {
    const schedule = await find(id);
    const nextScheduleTime = isPaused ? schedule.nextScheduleTime : nextTick(schedule.cron, request.now);
    await context.catalog.putSchedule({ ...schedule, isPaused, nextScheduleTime });
    if (!isPaused) context.engine.scheduleChanged(nextScheduleTime);
    return { status: 200 };
  };
  return [
    { method: "GET", pattern: new RegExp(`^/v2/schedules${endOfPath}`), handle: async () => ({ status: 200, body: (await context.catalog.schedules()).map(scheduleView) }) },
    { method: "GET", pattern: new RegExp(`^/v2/schedules/([^/?]+)${endOfPath}`), handle: async (_request, [id = ""]) => ({ status: 200, body: scheduleView(await find(id)) }) },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/schedules/([^/?]+)${endOfPath}`),
      handle: async (_request, [id = ""]) => {
        if (!(await context.catalog.deleteSchedule(decodeURIComponent(id)))) throw new QStashApiError(404, `schedule ${decodeURIComponent(id)} not found`);
        return { status: 200 };
      },
    },
    { method: "PATCH", pattern: new RegExp(`^/v2/schedules/([^/?]+)/pause${endOfPath}`), handle: setPaused(true) },
    { method: "PATCH", pattern: new RegExp(`^/v2/schedules/([^/?]+)/resume${endOfPath}`), handle: setPaused(false) },
    {
      // The destination (a URL or a URL group) is taken raw, like publish; only POST creates.
      method: "POST",
      pattern: /^\/v2\/schedules\/(.+)$/,
      handle: async (request, [destination = ""]) => {
        const id = request.headers.get("upstash-schedule-id");
        const existing = id === undefined ? undefined : await context.catalog.schedule(id);
        const schedule = planSchedule({ ...request, destination }, context.limits, existing);
        if (schedule.queueName !== undefined) checkQueueName(schedule.queueName);
        await context.catalog.putSchedule(schedule);
        context.engine.scheduleChanged(schedule.nextScheduleTime);
        return { status: 201, body: { scheduleId: schedule.scheduleId } };
      },
    },
  ];
}

export function queueRoutes(context: ApiContext): Route[] {
  const lagOf = async () => {
    const lag = new Map<string, number>();
    for (const message of await context.messages.pending()) {
      if (message.queueName) lag.set(message.queueName, (lag.get(message.queueName) ?? 0) + 1);
    }
    return lag;
  };
  const find = async (encodedName: string) => {
    const name = decodeURIComponent(encodedName);
    const queue = await context.catalog.queues.get(name);
    if (!queue) throw new QStashApiError(404, `queue ${name} not found`);
    return queue;
  };
  const setPaused = (paused: boolean): Route["handle"] => async (request, [name = ""]) => {
    const queue = { ...(await find(name)), paused, updatedAt: request.now };
    await context.catalog.queues.put(queue);
    context.engine.queueChanged(queue.name, queue);
    return { status: 200 };
  };
  return [
    {
      method: "POST",
      pattern: new RegExp(`^/v2/queues${endOfPath}`),
      handle: async (request) => {
        let input: { queueName?: unknown; parallelism?: unknown; paused?: unknown };
        try {
          input = JSON.parse(request.body.toString("utf8")) as typeof input;
        } catch {
          throw new QStashApiError(400, "queue body must be JSON {queueName, parallelism, paused}");
        }
        const name = checkQueueName(String(input.queueName ?? ""));
        const parallelism = input.parallelism ?? 1;
        if (typeof parallelism !== "number" || !Number.isInteger(parallelism) || parallelism < 1) throw new QStashApiError(400, "parallelism must be a positive integer");
        const existing = await context.catalog.queues.get(name);
        const queue = { name, parallelism, paused: input.paused === true, createdAt: existing?.createdAt ?? request.now, updatedAt: request.now };
        await context.catalog.queues.put(queue);
        context.engine.queueChanged(name, queue);
        return { status: 200 };
      },
    },
    { method: "GET", pattern: new RegExp(`^/v2/queues${endOfPath}`), handle: async () => {
      const lag = await lagOf();
      return { status: 200, body: (await context.catalog.queues.all()).map((queue) => queueView(queue, lag.get(queue.name) ?? 0)) };
    } },
    { method: "GET", pattern: new RegExp(`^/v2/queues/([^/?]+)${endOfPath}`), handle: async (_request, [name = ""]) => {
      const queue = await find(name);
      return { status: 200, body: queueView(queue, (await lagOf()).get(queue.name) ?? 0) };
    } },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/queues/([^/?]+)${endOfPath}`),
      handle: async (_request, [name = ""]) => {
        const queue = await find(name);
        await context.catalog.queues.delete(queue.name);
        context.engine.queueChanged(queue.name, undefined);
        return { status: 200 };
      },
    },
    { method: "POST", pattern: new RegExp(`^/v2/queues/([^/?]+)/pause${endOfPath}`), handle: setPaused(true) },
    { method: "POST", pattern: new RegExp(`^/v2/queues/([^/?]+)/resume${endOfPath}`), handle: setPaused(false) },
  ];
}
