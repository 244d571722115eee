/**
 * The cron's work, the safety net under the pushes: upkeep of every queue (promote due delayed
 * tasks, reclaim expired leases), pushes published for every backlog, and a drain in this
 * invocation too, sharing its budget across the queues that have work.
 */
import { sweepPayloadBlobs } from "../blobs/index";
import type { Env } from "../env";
import type { QueueSummary } from "../queue/types";
import { pushesWanted, pushRequests } from "./autoscale";
import { type Budget, createBudget } from "./budget";
import { CRON_BUDGET, type Runtime, type RuntimeOptions, runtimeFromEnv } from "./runtime";
import { UPKEEP_LIMIT } from "./housekeeping";
import { runInvocation } from "./invocation";
import { countNew } from "./publisher";
import { reachableQueues } from "./reachable";
import { jobStoreOver } from "./sharded-jobs";
import { runSchedules } from "./schedules/wire";
import type { BatchReport } from "./types";

export interface ScheduledOptions extends RuntimeOptions {
  /** Sweep only these queues (e.g. several deployments sharing one database); all when omitted. */
  queues?: readonly string[];
}

/** Returns one report per queue that had backlog after upkeep. */
export async function handleScheduled(env: Env, options: ScheduledOptions): Promise<BatchReport[]> {
  const runtime = runtimeFromEnv(env, options);
  const budget = createBudget(options.budget ?? CRON_BUDGET, runtime.clock);
  // First, so that what the schedules enqueue is drained below; ticks carry fires between crons.
  // A sweep limited to some queues (deployments sharing a database) leaves schedules to the full one.
  if (!options.queues) await runSchedules(runtime, options.functions.schedules());
  const selected = (queues: QueueSummary[]) =>
    options.queues ? queues.filter((queue) => options.queues?.includes(queue.name)) : queues;
  const queues = selected(await reachableQueuesLogged(runtime));
  // One queue's failure (a Redis error, a broken key) must not cost the others their safety net.
  await Promise.all(
    queues.map((queue) =>
      upkeep(queue.name, budget, runtime.forQueue(queue.name)).catch((error: unknown) => {
        runtime.log.warn("upkeep failed; the next cron tries again", { queue: queue.name, error: String(error) });
      }),
    ),
  );

  // Large payloads whose tasks are gone (TTL, purge, a crash before the enqueue) leave R2.
  if (env.BLOBS) {
    // Over several databases, a job's input is looked for on every one (a database that does not answer fails the sweep, deleting nothing).
    const jobs = runtime.clients.databases.length > 1 ? jobStoreOver(runtime.clients) : runtime.jobs;
    const sweep = { bucket: env.BLOBS, prefix: runtime.clients.prefix, tasks: runtime.tasks, jobInputs: (ids: readonly string[]) => jobs.inputs(ids) };
    await sweepPayloadBlobs({ ...sweep, now: runtime.clock.now() }).catch((error: unknown) => {
      runtime.log.warn("payload blob sweep failed; the next cron tries again", { error: String(error) });
    });
  }

  const after = selected(await reachableQueuesLogged(runtime));
  const backlog = after.filter((queue) => !queue.settings.paused && queue.counts.queued > 0);
  const started = await publishCronPushes(backlog, runtime);
  const reports: BatchReport[] = [];
  for (const [index, queue] of backlog.entries()) {
    // Drainers were started for every queue; what cannot be drained here waits for them.
    if (budget.batchesLeft() < 1) break;
    // An equal share of what is left (time and batches) for each queue still waiting its turn.
    const waiting = backlog.length - index;
    const share = budget.remaining() / waiting;
    const queueBudget = createBudget(
      { softMs: share, hardMs: Math.max(share, budget.untilHardLimit()), maxBatches: Math.max(1, Math.floor(budget.batchesLeft() / waiting)) },
      runtime.clock,
    );
    try {
      const report = await runInvocation(queue.name, queueBudget, runtime.forQueue(queue.name));
      reports.push({ ...report, published: report.published + (started[index] ?? 0) });
    } catch (error) {
      // Its leases expire and the next invocation takes the tasks back; the other queues go on.
      runtime.log.warn("drain failed; the next cron tries again", { queue: queue.name, error: String(error) });
    } finally {
      budget.spendBatch(queueBudget.batches());
    }
  }
  return reports;
}

/** Every database's queues; one that does not answer is logged and waits for the next cron, the others go on. */
async function reachableQueuesLogged(runtime: Runtime): Promise<QueueSummary[]> {
  const { queues, unavailable } = await reachableQueues(runtime.clients);
  for (const { database, detail } of unavailable) runtime.log.warn("a database did not answer; its queues wait for the next cron", { database, error: detail });
  return queues;
}

async function upkeep(queue: string, budget: Budget, runtime: Runtime): Promise<void> {
  const total = { promoted: 0, requeued: 0, dead: 0 };
  let more = true;
  try {
    while (more && budget.allows(0)) {
      const result = await runtime.tasks.upkeep(queue, UPKEEP_LIMIT);
      total.promoted += result.promoted;
      total.requeued += result.requeued;
      total.dead += result.dead;
      more = result.more;
    }
    if (total.promoted + total.requeued + total.dead > 0) runtime.log.info("upkeep", { queue, ...total, more });
  } finally {
    // Even when the upkeep failed: job results a folder left behind (it died, or its invocation
    // ended) are folded here, and a Redis error on the way must not cost them this cron's fold.
    await runtime.foldJobs(queue, runtime.clock.now() + budget.remaining()).catch((error: unknown) => {
      runtime.log.warn("fold failed; the next cron tries again", { queue, error: String(error) });
    });
    // Completion callbacks of tasks that ended where no worker delivered them (never throws).
    await runtime.sweepCallbacks(queue);
  }
}

/**
 * Publishes the pushes every backlog calls for, in one request; returns how many were new, per
 * queue. Fresh epochs first: pushes published before may be stuck or lost and must not dedupe these.
 */
async function publishCronPushes(backlog: QueueSummary[], runtime: Runtime): Promise<number[]> {
  try {
    const epochs = await Promise.all(backlog.map((queue) => runtime.forQueue(queue.name).epochs.advance(queue.name)));
    const perQueue = backlog.map((queue, index) =>
      pushRequests(
        queue.name,
        { epoch: epochs[index] ?? 0, now: runtime.clock.now() },
        pushesWanted({ ...queue.counts, ...queue.settings }),
        queue.settings.maxParallel,
      ),
    );
    const accepted = await runtime.publisher.publish(perQueue.flat());
    let offset = 0;
    return perQueue.map((pushes) => countNew(accepted.slice(offset, (offset += pushes.length))));
  } catch (error) {
    runtime.log.warn("could not publish pushes for the backlogs", { queues: backlog.map((queue) => queue.name), error: String(error) });
    return backlog.map(() => 0);
  }
}
