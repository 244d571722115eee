import { z } from "zod";
import { defineFunction } from "../src/runtime/index";

/** How often sleep reports `{done, total}`: often enough for a smooth bar, coalesced by the runtime anyway. */
const REPORT_EVERY_MS = 100;

/**
 * Waits `ms` milliseconds without using the CPU, reporting its progress as it goes: enqueue a few
 * to see concurrency on the dashboard, or `edgeq task watch <id>` to see a progress bar. Stops at
 * once when its signal fires (timeout, lost lease, end of the invocation).
 */
export const sleep = defineFunction({
  name: "sleep",
  description: "Waits input.ms milliseconds (0-60,000), reporting {done, total} progress; returns {slept}.",
  input: z.object({ ms: z.int().min(0).max(60_000) }),
  timeoutMs: 65_000,
  async run({ ms }, ctx) {
    const started = Date.now();
    ctx.progress({ done: 0, total: ms });
    while (Date.now() - started < ms) {
      const left = ms - (Date.now() - started);
      await wait(Math.min(left, REPORT_EVERY_MS), ctx.signal);
      ctx.progress({ done: Math.min(ms, Date.now() - started), total: ms });
    }
    return { slept: Date.now() - started };
  },
});

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
