/**
 * A model of the queue for the property and crash tests: what each task's state should be, which
 * lease token is the only valid one, and the result its accepted completion wrote. `checkAgainst`
 * compares it with the records, the raw Redis structures and the counters.
 */
import { expect } from "vitest";
import type { StateLetter } from "../../src/queue/codec";
import { splitTaskId } from "../../src/queue/ids";
import { partitionKeys, queueKeyMap } from "../../src/queue/keys";
import type { TaskQueue, TaskStatus } from "../../src/queue/types";
import { testRedis } from "../support/redis-client";

export interface ModelTask {
  id: string;
  priority: number;
  maxAttempts: number;
  state: StateLetter;
  attempts: number;
  runAt: number;
  leaseUntil: number;
  /** The only token complete/fail may use; null unless running. */
  token: string | null;
  /** What the accepted completion wrote. */
  result?: string;
}

const STATUS: Record<StateLetter, TaskStatus> = { q: "queued", d: "delayed", r: "running", s: "succeeded", x: "dead", c: "canceled" };

export class QueueModel {
  readonly tasks = new Map<string, ModelTask>();

  add(id: string, priority: number, maxAttempts: number, runAt: number, now: number): void {
    this.tasks.set(id, { id, priority, maxAttempts, state: runAt > now ? "d" : "q", attempts: 0, runAt, leaseUntil: 0, token: null });
  }

  /** Due delayed tasks become queued (claim and upkeep both promote all that are due here). */
  promote(now: number): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.state === "d" && t.runAt <= now) (t.state = "q"), n++;
    return n;
  }

  /** Expired leases: back to queued, or dead once the attempts are spent. */
  reclaim(now: number): { requeued: number; dead: number } {
    let requeued = 0;
    let dead = 0;
    for (const t of this.tasks.values()) {
      if (t.state !== "r" || t.leaseUntil > now) continue;
      t.token = null;
      if (t.attempts >= t.maxAttempts) (t.state = "x"), dead++;
      else (t.state = "q"), requeued++;
    }
    return { requeued, dead };
  }

  valid(id: string, token: string): boolean {
    const t = this.tasks.get(id);
    return !!t && t.state === "r" && t.token === token;
  }

  inState(...states: StateLetter[]): ModelTask[] {
    return [...this.tasks.values()].filter((t) => states.includes(t.state));
  }

  /** `now`: the queue's clock (a delayed task shows as queued once due, records.ts). */
  async checkAgainst(queue: TaskQueue, prefix: string, name: string, now: number): Promise<void> {
    const ids = [...this.tasks.keys()];
    const records = ids.length ? await queue.getMany(ids) : [];
    records.forEach((record, i) => {
      const t = this.tasks.get(ids[i]!)!;
      expect(record, `task ${t.id} lost`).not.toBeNull();
      expect({ id: t.id, status: record!.status, attempts: record!.attempts }).toEqual({ id: t.id, status: STATUS[t.state === "d" && t.runAt <= now ? "q" : t.state], attempts: t.attempts });
      expect(record!.result, `result of ${t.id}`).toEqual(t.result);
    });
    // each task sits in exactly the structure of its state (ready list entries of other states are
    // tombstones); structures hold local ids (`x` of `<queue>~x`), a ready list per partition, and a
    // due delayed task of priority 0 goes to its partition's prioritized set when promoted
    const { ready, prioritized, delayed, dead } = queueKeyMap(prefix, name);
    const raw = testRedis({ automaticDeserialization: false });
    // the ready index's partitions, a folded group's (its sub-index, `r:^<group>`) in its place
    const readyLabels = async (index: string): Promise<string[]> =>
      (await Promise.all((await raw.zrange<string[]>(index, 0, -1)).map((label) => (label.startsWith("^") ? readyLabels(partitionKeys(prefix, name, label)[1]) : [label])))).flat();
    const labels = await readyLabels(ready!);
    const [prioIds, delayedMembers, deadIds] = await Promise.all([
      segmented(raw, prefix, name, prioritized, 2, "head"),
      segmented(raw, prefix, name, delayed, 3, "head"),
      segmented(raw, prefix, name, dead, 4, "latest"),
    ]);
    const list = (await Promise.all(labels.map((label) => raw.lrange<string>(partitionKeys(prefix, name, label)[1], 0, -1)))).flat();
    const delayedIds = delayedMembers.map((member) => member.split("|")[0]!);
    const occurrences = (arr: unknown[], id: string) => arr.filter((x) => x === id).length;
    for (const t of this.tasks.values()) {
      const local = splitTaskId(t.id)!.local;
      const queued = t.state === "q";
      const where = {
        queued: occurrences(queued && t.priority === 0 ? list : [], local) + occurrences(prioIds, local),
        delayed: occurrences(delayedIds, local),
        dead: occurrences(deadIds, local),
      };
      expect({ id: t.id, ...where }).toEqual({
        id: t.id,
        queued: queued ? 1 : 0,
        delayed: t.state === "d" ? 1 : 0,
        dead: t.state === "x" ? 1 : 0,
      });
    }
    if (this.tasks.size === 0) return;
    const { counts } = await queue.getQueue(name);
    const n = (...s: StateLetter[]) => this.inState(...s).length;
    expect(counts).toMatchObject({
      queued: n("q"), delayed: n("d"), running: n("r"), dead: n("x"),
      succeeded: n("s"), canceled: n("c"), enqueued: this.tasks.size,
    });
  }
}

/**
 * The members of a queue's per-partition sets (prioritized, delayed or dead: `slot` in partitionKeys)
 * through their index, checking the index: one entry per non-empty set, scored by its head (the
 * earliest; the latest for the dead). A folded group (`^<group>`, scripts/pieces/part-index.ts) is
 * walked in its place: its entries and its own are bounds of their heads (at most the earliest, at
 * least the latest), each partition indexed once.
 */
async function segmented(raw: ReturnType<typeof testRedis>, prefix: string, name: string, index: string, slot: number, order: "head" | "latest", seen = new Set<string>(), folded = false): Promise<string[]> {
  const indexed = await raw.zrange<string[]>(index, 0, -1, { withScores: true });
  const members: string[] = [];
  for (let i = 0; i < indexed.length; i += 2) {
    const label = indexed[i]!;
    const score = Number(indexed[i + 1]);
    const key = partitionKeys(prefix, name, label)[slot]!;
    if (label.startsWith("^")) {
      const sub = await raw.zrange<string[]>(key, 0, -1, { withScores: true });
      const subScores = sub.filter((_, k) => k % 2 === 1).map(Number);
      if (subScores.length > 0) expect(order === "head" ? score <= Math.min(...subScores) : score >= Math.max(...subScores), `bound of group ${label} in ${index}`).toBe(true);
      members.push(...(await segmented(raw, prefix, name, key, slot, order, seen, true)));
      continue;
    }
    expect(seen.has(label), `partition ${label} indexed twice`).toBe(false);
    seen.add(label);
    const set = await raw.zrange<string[]>(key, 0, -1, { withScores: true });
    expect(set.length, `indexed partition ${label} of ${index} is empty`).toBeGreaterThan(0);
    const headScore = Number(order === "head" ? set[1] : set[set.length - 1]);
    if (folded) expect(order === "head" ? score <= headScore : score >= headScore, `bound of ${label} in ${index}`).toBe(true);
    else expect({ label, score }).toEqual({ label, score: headScore });
    for (let k = 0; k < set.length; k += 2) members.push(set[k]!);
  }
  return members;
}
