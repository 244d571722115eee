import { z } from "zod";
import { defineFunction } from "../src/runtime/index";

/**
 * Stands for a call to a partner's API on behalf of one customer: at most 2 calls per customer at
 * once and 10 started per second, whoever enqueues them, and customers take turns (flowControl;
 * README "Flow control"). A task given a flowControl of its own uses that one instead.
 */
export const partnerCall = defineFunction({
  name: "partner-call",
  description: "Waits input.ms (default 50) as a partner API call for input.customer would; at most 2 per customer at once, 10/s.",
  input: z.object({ customer: z.string().min(1).max(128), ms: z.int().min(0).max(10_000).optional() }),
  flowControl: ({ customer }) => ({ key: customer, parallelism: 2, rate: 10 }),
  async run({ customer, ms = 50 }, ctx) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener("abort", () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
    });
    return { customer, tookMs: ms };
  },
});
