/**
 * Jobs over several databases: a job lives on its queue's database (its map tasks and their outbox
 * are there, and the fold commits both in one script), so a job's creation and folds go to that
 * database, and so does a read by id: the id names its queue. An id from before ids did is asked
 * of every database at once (one HMGET each). The recent list merges every database's.
 */
import { createJobStore, type JobRecord, type JobStore, queueOfJobId } from "../queue/jobs/index";
import type { Clients } from "./clients";
import { onDatabase } from "./sharded-tasks";

/** The job store over the clients' databases: the plain one with one database. */
export function jobStoreOver(clients: Clients, now?: () => number): JobStore {
  const storeOf = (over: Clients) => createJobStore(over.redis, { prefix: clients.prefix, ...(now ? { now } : {}) });
  if (clients.databases.length === 1) return storeOf(clients);
  const stores = clients.databases.map((over) => ({ name: over.database, jobs: storeOf(over) }));
  const at = <T>(queue: string, run: (jobs: JobStore) => Promise<T>) => {
    const { database } = clients.forQueue(queue);
    const store = stores.find((s) => s.name === database)!;
    return onDatabase(store.name, () => run(store.jobs));
  };
  /** The store holding the job: a database that does not answer only matters when no other has it. */
  const holding = async (id: string) => {
    const queue = queueOfJobId(id);
    const asked = queue === undefined ? stores : stores.filter((store) => store.name === clients.forQueue(queue).database);
    const found = await Promise.allSettled(asked.map((store) => onDatabase(store.name, () => store.jobs.get(id))));
    const index = found.findIndex((result) => result.status === "fulfilled" && result.value !== null);
    if (index !== -1) return { store: asked[index]!, job: (found[index] as PromiseFulfilledResult<JobRecord>).value };
    const down = found.find((result) => result.status === "rejected");
    if (down) throw down.reason;
    return null;
  };
  /** Each position's answer from whichever database has it (read by folders, which hold ids of one queue). */
  const firstFound = async <T>(read: (jobs: JobStore) => Promise<(T | null)[]>, count: number): Promise<(T | null)[]> => {
    const lists = await Promise.all(stores.map((store) => onDatabase(store.name, () => read(store.jobs))));
    return Array.from({ length: count }, (_, i) => lists.map((list) => list[i] ?? null).find((value) => value !== null) ?? null);
  };
  return {
    create: (job) => at(job.queue, (jobs) => jobs.create(job)),
    get: async (id) => (await holding(id))?.job ?? null,
    async recent(limit) {
      const lists = await Promise.all(stores.map((store) => onDatabase(store.name, () => store.jobs.recent(limit))));
      return lists.flat().sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
    states: (ids) => firstFound((jobs) => jobs.states(ids), ids.length),
    inputs: (ids) => firstFound((jobs) => jobs.inputs(ids), ids.length),
    async finish(id, status, text) {
      const found = await holding(id);
      return found ? onDatabase(found.store.name, () => found.store.jobs.finish(id, status, text)) : false;
    },
    takeFold: (queue, max, leaseMs) => at(queue, (jobs) => jobs.takeFold(queue, max, leaseMs)),
    commitFold: (queue, round, commits) => at(queue, (jobs) => jobs.commitFold(queue, round, commits)),
    discardEvents: (queue, taskIds) => at(queue, (jobs) => jobs.discardEvents(queue, taskIds)),
  };
}
