/** GET /v1/tasks/{id}/events: the task's progress as server-sent events, then the final task. */
import { z } from "@hono/zod-openapi";
import { TASK_REF_PATTERN } from "../../queue/index";
import { pollingEventStream } from "../event-stream";
import { isFinal } from "../long-poll";
import { requireScope, tokenReaches } from "../middleware/auth";
import { invalidField, ProblemError } from "../problem";
import { problems } from "../responses";
import { TaskParams } from "../schemas";
import { taskView } from "../task-view";
import type { Task } from "../../wire/index";
import type { App } from "../types";

const stateId = (task: Task): string => `${task.status}.${task.attempts}.${task.progressAt ?? 0}`;

export function registerTaskEventRoutes(app: App): void {
  app.get("/v1/tasks/:id/events", requireScope("read", "handler"), async (c) => {
    const id = c.req.param("id");
    if (!TASK_REF_PATTERN.test(id)) throw invalidField("id", `must match ${TASK_REF_PATTERN.source}`);
    const read = async () => {
      const task = await c.var.queue.get(id);
      return task && tokenReaches(c, task.queue) ? taskView(c, task) : null;
    };
    const first = await read();
    if (!first) throw new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No task ${id}` });
    return pollingEventStream(c, first, { stateId, over: (task) => isFinal(task.status), read });
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/tasks/{id}/events",
    summary: "Server-sent events: `progress` on each change of status or reported progress, then `result` with the final task (or `reconnect`)",
    request: { params: TaskParams },
    responses: { 200: { description: "text/event-stream of Task objects", content: { "text/event-stream": { schema: z.string() } } }, ...problems(401, 403, 404) },
  });
}
