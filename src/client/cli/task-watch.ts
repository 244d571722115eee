import type { EdgeqClient, Task } from "../index";
import { createProgressBar, type ProgressBar } from "./progress";

const FINAL = new Set(["succeeded", "dead", "canceled"]);

/** A progress value that can draw a bar: `{done, total}` with numbers. */
function fraction(progress: unknown): { done: number; total: number } | null {
  const value = progress as { done?: unknown; total?: unknown } | null;
  return typeof value?.done === "number" && typeof value.total === "number" ? { done: value.done, total: value.total } : null;
}

/**
 * `edgeq task watch <id>`: follows the task's events to its end. A progress value with `done` and
 * `total` draws a bar; any other value is printed as a line. Returns the final task.
 */
export async function watchTask(client: EdgeqClient, id: string, stream: NodeJS.WriteStream = process.stderr): Promise<Task> {
  let bar: ProgressBar | undefined;
  let task: Task | undefined;
  let lastStatus = "";
  for await (const { data } of client.taskEvents(id)) {
    task = data;
    if (task.status !== lastStatus) {
      if (!bar) stream.write(`task ${id}: ${task.status}\n`);
      lastStatus = task.status;
    }
    const shown = fraction(task.progress);
    if (shown) (bar ??= createProgressBar(stream, 30, "")).update(shown.done, shown.total);
    else if (task.progress !== undefined) stream.write(`progress ${JSON.stringify(task.progress)}\n`);
  }
  bar?.finish();
  return task && FINAL.has(task.status) ? task : client.getTask(id);
}
