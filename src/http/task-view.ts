/** A task as the API shows it: opened payloads, and while it runs, the progress it last reported. */
import type { Env } from "../env";
import { createProgressStore } from "../queue/progress";
import type { TaskRecord } from "../queue/types";
import { internalRedis } from "../runtime/context";
import { openTask } from "./payloads";

export type TaskView = TaskRecord & { progress?: unknown; progressAt?: number };

/** Progress is read only for a running task (one HGET): the batch removes it as it settles. */
export async function taskView(env: Env, task: TaskRecord): Promise<TaskView> {
  const [opened, progress] = await Promise.all([
    openTask(env, task),
    task.status === "running" ? createProgressStore(internalRedis(env)).read(task.queue, task.id) : null,
  ]);
  return progress ? { ...opened, progress: progress.value, progressAt: progress.at } : opened;
}
