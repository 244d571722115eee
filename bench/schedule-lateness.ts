/**
 * Schedule fire lateness through the whole local stack (the Worker, QStash dev server, REST server,
 * redis-server) with the cron off, so that only the ticks (delayed QStash pushes) fire schedules:
 * S schedules of `o/P * * * * *` (6-field cron, every P seconds from second o = i mod P, so fires
 * spread over the seconds) run for D seconds; each fire's
 * task id names its fire time, so a fire's lateness is its task's createdAt (enqueued) and startedAt
 * (a worker began it) minus that time. Every expected fire is checked: a missing one is a miss.
 *   node --import tsx bench/schedule-lateness.ts [--schedules 10] [--every 2] [--seconds 40]
 */
import { parseArgs } from "node:util";
import { startStack } from "../dev/stack";
import { createClient } from "../src/client/index";
import { nextFire } from "../src/queue/schedules/cron";
import { fireTaskId } from "../src/queue/schedules/store";

const { values } = parseArgs({ options: { schedules: { type: "string", default: "10" }, every: { type: "string", default: "2" }, seconds: { type: "string", default: "40" } } });
const S = Number(values.schedules);
const P = Number(values.every);
const D = Number(values.seconds);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const stack = await startStack({ quiet: true, cronEverySeconds: 0 });
try {
  const client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
  const ids = Array.from({ length: S }, (_, i) => `bench-${i}`);
  const cronOf = (i: number) => `${i % P}/${P} * * * * *`;
  const created = await Promise.all(ids.map((id, i) => client.createSchedule({ id, cron: cronOf(i), fn: "echo", input: { id }, queue: "bench-schedules" })));
  const from = Math.min(...created.map((s) => s.nextRunAt ?? Infinity));
  const until = from + D * 1_000;
  console.error(`schedule-lateness: ${S} schedules, each every ${P} s, for ${D} s from ${new Date(from).toISOString()}, cron off`);
  await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 3_000));
  await Promise.all(ids.map((id) => client.pauseSchedule(id)));

  const enqueued: number[] = [];
  const started: number[] = [];
  let missed = 0;
  const misses: string[] = [];
  const expected = ids.flatMap((id, i) => {
    const times: number[] = [];
    // From the schedule's own first fire: one created a moment after a fire time never had that one.
    const first = created[i]?.nextRunAt ?? null;
    for (let at = first; at !== null && at <= until; at = nextFire({ cron: cronOf(i), timezone: null }, at)) times.push(at);
    return times.map((at) => ({ id, at }));
  });
  for (let offset = 0; offset < expected.length; offset += 50) {
    const chunk = expected.slice(offset, offset + 50);
    const tasks = await Promise.all(
      chunk.map(({ id, at }) =>
        client.getTask(fireTaskId(id, at)).then(
          (task) => ({ task, at }),
          (error: Error) => {
            misses.push(`${fireTaskId(id, at)}: ${error.message}`);
            return null;
          },
        ),
      ),
    );
    for (const found of tasks) {
      if (!found) {
        missed++;
        continue;
      }
      const { task, at } = found;
      enqueued.push(task.createdAt - at);
      if (typeof task.startedAt === "number") started.push(task.startedAt - at);
    }
  }
  enqueued.sort((a, b) => a - b);
  started.sort((a, b) => a - b);
  const result = {
    fires: enqueued.length,
    missed,
    enqueueLatenessMs: { p50: percentile(enqueued, 50), p99: percentile(enqueued, 99), max: enqueued.at(-1) },
    startLatenessMs: { p50: percentile(started, 50), p99: percentile(started, 99), max: started.at(-1) },
  };
  console.log(JSON.stringify(result, null, 2));
  if (misses.length > 0) console.error(`missed:\n  ${misses.join("\n  ")}`);
  await Promise.all(ids.map((id) => client.deleteSchedule(id)));
} finally {
  await stack.stop();
}
