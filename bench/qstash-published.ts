/**
 * QStash messages a run published, read from the local QStash server's event log (GET /v2/events,
 * each accepted message's CREATED line): pushes and delayed pushes alike, whether delivered yet or
 * still pending. Counting deliveries instead would miss the inline start's safety nets and other
 * delayed pushes still due when a run ends. A publish QStash drops as a duplicate is no message.
 * bench/system-wait-ab.ts copies this file into other revisions' trees with its runners.
 */
import type { StackInfo } from "../dev/stack";

export async function messagesPublishedSince(info: Pick<StackInfo, "qstashUrl" | "qstashToken">, sinceMs: number): Promise<number> {
  const response = await fetch(`${info.qstashUrl}/v2/events?state=CREATED&count=1000000`, { headers: { authorization: `Bearer ${info.qstashToken}` } });
  if (!response.ok) throw new Error(`GET /v2/events answered ${response.status}`);
  const { events } = (await response.json()) as { events: { time: number }[] };
  return events.filter((event) => event.time >= sinceMs).length;
}
