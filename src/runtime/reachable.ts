/**
 * Every database's queues, for listings (GET /v1/queues, /metrics, the cron): with several
 * databases, one that does not answer leaves its queues out and is named, rather than failing the
 * list of the others.
 */
import { DatabaseUnavailableError } from "../queue/index";
import type { QueueSummary } from "../queue/types";
import type { Clients } from "./clients";
import type { UnavailableDatabase } from "../wire/index";

export interface ReachableQueues {
  /** The queues of the databases that answered, by name. */
  queues: QueueSummary[];
  /** The databases that did not, each with why. */
  unavailable: UnavailableDatabase[];
}

export async function reachableQueues(clients: Clients): Promise<ReachableQueues> {
  if (clients.databases.length === 1) return { queues: await clients.tasks.listQueues(), unavailable: [] };
  const lists = await Promise.allSettled(clients.databases.map((database) => database.tasks.listQueues()));
  const reached: ReachableQueues = { queues: [], unavailable: [] };
  lists.forEach((list, i) => {
    const { database } = clients.databases[i]!;
    if (list.status === "rejected") {
      if (!(list.reason instanceof DatabaseUnavailableError)) throw list.reason;
      reached.unavailable.push({ database, detail: list.reason.message });
      return;
    }
    // A queue registered where it no longer lives (placement changed) is listed where it lives.
    reached.queues.push(...list.value.filter((queue) => clients.forQueue(queue.name).database === database));
  });
  reached.queues.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return reached;
}
