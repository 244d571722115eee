/** A task as the API shows it: opened payloads, and while it runs, the progress it last reported. */
import { createProgressStore } from "../queue/progress";
import type { TaskRecord } from "../queue/types";
import type { Task } from "../wire/index";
import { openTask } from "./encryption";
import type { AppContext } from "./types";

/** Progress is read only for a running task (one HGET): the batch removes it as it settles. */
export async function taskView(c: AppContext, task: TaskRecord): Promise<Task> {
  const [opened, progress] = await Promise.all([
    openTask(c.env, task),
    task.status === "running" ? createProgressStore(c.var.clients.forQueue(task.queue).redis, { prefix: c.var.clients.prefix }).read(task.queue, task.id) : null,
  ]);
  return progress ? { ...opened, progress: progress.value, progressAt: progress.at } : opened;
}
