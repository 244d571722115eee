/**
 * Schedules defined in code reach Redis here. The deployed set has a fingerprint; the cron compares
 * it with the stored one and rewrites only when they differ (after a deploy), so an idle minute
 * costs one GET, not a write per schedule. A pause set over the API survives a sync.
 */
import type { ScheduleStore } from "../../queue/schedules/store";
import type { ScheduleDefinition } from "../../queue/schedules/types";
import { DEFAULT_SCHEDULE_QUEUE, type ScheduleFunction } from "../schedule";

type Shape = Pick<ScheduleDefinition, "id" | "cron" | "timezone" | "fn" | "input" | "queue">;

function shapeOf(schedule: ScheduleFunction): Shape {
  return {
    id: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone ?? null,
    fn: schedule.fn,
    input: schedule.input ?? null,
    queue: schedule.queue ?? DEFAULT_SCHEDULE_QUEUE,
  };
}

/** The fields that make a code schedule what it is, in a fixed order (a stored view has more). */
const canonical = ({ id, cron, timezone, fn, input, queue }: Shape): string => JSON.stringify({ id, cron, timezone, fn, input, queue });

/**
 * A 53-bit hash (cyrb53) of the canonical set, computed synchronously so that the cron's GET of the
 * stored one leaves in the same request as its look at the due set. It detects a deploy, nothing
 * more: no secret rides on it.
 */
function fingerprint(shapes: Shape[]): string {
  const text = shapes.map(canonical).join("\n");
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${shapes.length}.${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

/** Returns true when the stored code schedules were rewritten. */
export async function syncCodeSchedules(store: ScheduleStore, schedules: readonly ScheduleFunction[], now: number): Promise<boolean> {
  const shapes = schedules.map(shapeOf);
  const wanted = fingerprint(shapes);
  if ((await store.codeFingerprint()) === wanted) return false;
  const stored = new Map((await store.list()).map((view) => [view.id, view]));
  for (const shape of shapes) {
    const prior = stored.get(shape.id);
    if (prior?.source === "code" && canonical(prior) === canonical(shape)) continue;
    const paused = prior?.source === "code" ? prior.paused : false;
    await store.put({ ...shape, paused, source: "code", createdAt: prior?.createdAt ?? now });
  }
  const names = new Set(shapes.map((shape) => shape.id));
  for (const view of stored.values()) if (view.source === "code" && !names.has(view.id)) await store.remove(view.id);
  await store.setCodeFingerprint(wanted);
  return true;
}
