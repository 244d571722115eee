/** Queue scripts are composed over the queue's keys (keys.ts QUEUE_KEYS), see compose.ts. */
import { QUEUE_KEYS, type QueueKeyName } from "../keys";
import { scriptComposer, type ComposedScript } from "./compose";

export type QueueScript = ComposedScript<QueueKeyName>;

export const defineQueueScript = scriptComposer<QueueKeyName>(QUEUE_KEYS);
