/**
 * One TaskQueue over several databases: each call goes to the database that holds its queue
 * (databases.ts places queues), a read by task id to the database its id names, and the queue list
 * is every database's. A database that does not answer fails only the calls that need it, with a
 * DatabaseUnavailableError naming it (a 503 over HTTP).
 */
import { DatabaseUnavailableError, EdgeqError, splitTaskId } from "../queue/index";
import type { QueueSummary, TaskQueue, TaskRecord } from "../queue/types";

/** A database's name and the queue core over it. */
export interface DatabaseTasks {
  name: string;
  tasks: TaskQueue;
}

/**
 * Redis answered with an error (UpstashError) or the core refused (EdgeqError): the call's own
 * fault. Anything else (a refused connection, a timeout, a 5xx the client gave up on) means the
 * database did not answer.
 */
function unanswered(error: unknown): boolean {
  return !(error instanceof EdgeqError) && !(error instanceof Error && error.name === "UpstashError");
}

/** Runs `work` on database `name`, turning "no answer" into a DatabaseUnavailableError naming it. */
export async function onDatabase<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw unanswered(error) ? new DatabaseUnavailableError(name, error) : error;
  }
}

export function shardedTaskQueue(databases: readonly DatabaseTasks[], placeOf: (queue: string) => string): TaskQueue {
  const byName = new Map(databases.map((database) => [database.name, database]));
  const main = databases[0]!;
  const of = (queue: string) => byName.get(placeOf(queue)) ?? main;
  const at = <T>(queue: string, run: (tasks: TaskQueue) => Promise<T>) => {
    const database = of(queue);
    return onDatabase(database.name, () => run(database.tasks));
  };
  /**
   * The ids grouped by the database that may hold them, with their places in the request. An id
   * that names no queue (one given before ids named their queue) may be on any database: it is
   * asked of each.
   */
  const byDatabase = (ids: readonly string[]) => {
    const groups = new Map<DatabaseTasks, number[]>(databases.map((database) => [database, []]));
    ids.forEach((id, index) => {
      const queue = splitTaskId(id)?.queue;
      for (const database of queue === undefined ? databases : [of(queue)]) groups.get(database)!.push(index);
    });
    return [...groups].filter(([, places]) => places.length > 0);
  };

  async function getMany(ids: string[]): Promise<(TaskRecord | null)[]> {
    const records = new Array<TaskRecord | null>(ids.length).fill(null);
    await Promise.all(
      byDatabase(ids).map(async ([database, places]) => {
        const found = await onDatabase(database.name, () => database.tasks.getMany(places.map((i) => ids[i]!)));
        places.forEach((place, j) => (records[place] ??= found[j] ?? null));
      }),
    );
    return records;
  }

  return {
    enqueue: (queue, tasks) => at(queue, (t) => t.enqueue(queue, tasks)),
    enqueueAndPeek: (queue, tasks) => at(queue, (t) => t.enqueueAndPeek(queue, tasks)),
    enqueueGroups: (queue, groups) => at(queue, (t) => t.enqueueGroups(queue, groups)),
    claim: (queue, max, leaseMs) => at(queue, (t) => t.claim(queue, max, leaseMs)),
    complete: (queue, completions) => at(queue, (t) => t.complete(queue, completions)),
    fail: (queue, failures) => at(queue, (t) => t.fail(queue, failures)),
    settleAndClaim: (queue, settled, claimMax, leaseMs) => at(queue, (t) => t.settleAndClaim(queue, settled, claimMax, leaseMs)),
    startInvocation: (queue, replayMark) => at(queue, (t) => t.startInvocation(queue, replayMark)),
    extendLeases: (queue, leases, leaseMs) => at(queue, (t) => t.extendLeases(queue, leases, leaseMs)),
    upkeep: (queue, limit) => at(queue, (t) => t.upkeep(queue, limit)),
    getQueue: (queue) => at(queue, (t) => t.getQueue(queue)),
    markWaiting: (queue, untilMs) => at(queue, (t) => t.markWaiting(queue, untilMs)),
    updateSettings: (queue, patch) => at(queue, (t) => t.updateSettings(queue, patch)),
    listDead: (queue, options) => at(queue, (t) => t.listDead(queue, options)),
    retryDead: (queue, ids) => at(queue, (t) => t.retryDead(queue, ids)),
    purgeDead: (queue, ids) => at(queue, (t) => t.purgeDead(queue, ids)),
    getStats: (queue) => at(queue, (t) => t.getStats(queue)),
    flow: (queue, options) => at(queue, (t) => t.flow(queue, options)),
    flowKey: (queue, key) => at(queue, (t) => t.flowKey(queue, key)),
    flowTotals: (queue) => at(queue, (t) => t.flowTotals(queue)),
    get: async (id) => (await getMany([id]))[0] ?? null,
    getMany,
    // records decode alike on every database (the same defaults)
    fromRecord: (id, record) => main.tasks.fromRecord(id, record),
    async cancel(ids) {
      const canceled = await Promise.all(
        byDatabase(ids).map(([database, places]) => onDatabase(database.name, () => database.tasks.cancel(places.map((i) => ids[i]!)))),
      );
      return canceled.flat();
    },
    // A queue registered on a database it no longer lives on (placement changed) is not listed from there.
    async listQueues() {
      const lists = await Promise.all(databases.map((database) => onDatabase(database.name, () => database.tasks.listQueues())));
      const placed = lists.flatMap((list, i) => list.filter((queue) => of(queue.name) === databases[i]));
      return placed.sort((a: QueueSummary, b: QueueSummary) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
  };
}
