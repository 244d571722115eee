/** Flow control on the wire: GET /v1/queues/{queue}/flow and /flow/{key}. */

/** One flow-control key. */
export interface FlowKeyState {
  key: string;
  /** Queued, in the round-robin order. */
  waiting: number;
  /** Queued but held back by the key's limits until a slot or token opens. */
  held: number;
  /** Holding a lease that has not expired. */
  running: number;
  /** Claims within the last period (what the rate counts). */
  startedInPeriod: number;
  parallelism: number | null;
  rate: number | null;
  periodMs: number;
}

export interface FlowTotals {
  /** Keys with tasks waiting or held. */
  activeKeys: number;
  queued: number;
  held: number;
}

/** One page of a queue's keys, busiest first, with the queue's totals. */
export interface FlowPage extends FlowTotals {
  queue: string;
  /** Keys with tasks waiting, held or running, of which `keys` is one page. */
  total: number;
  offset: number;
  limit: number;
  keys: FlowKeyState[];
}
