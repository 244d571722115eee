/**
 * Per-token enqueue rate limit (EDGEQ_ENQUEUE_RATE, e.g. "1000/10s"; off when unset). Called by the
 * enqueue handlers once the body is validated, because the cost is the number of tasks, not of
 * requests. One script call per request; a refusal is a 429 with Retry-After and takes nothing.
 */
import type { Context } from "hono";
import { parseRateLimit, type RateLimit, takeRate } from "../../security/index";
import { ProblemError } from "../problem";
import type { AppEnv } from "../types";

let cached: { text: string | undefined; rate: RateLimit | null } | undefined;

function rateFor(text: string | undefined): RateLimit | null {
  if (cached && cached.text === text) return cached.rate;
  let rate: RateLimit | null;
  try {
    rate = parseRateLimit(text);
  } catch (error) {
    throw new ProblemError({ status: 500, kind: "misconfigured", title: "Server misconfigured", detail: (error as Error).message });
  }
  cached = { text, rate };
  return rate;
}

export async function enforceEnqueueRate(c: Context<AppEnv>, tasks: number): Promise<void> {
  const rate = rateFor(c.env.EDGEQ_ENQUEUE_RATE);
  if (!rate) return;
  const verdict = await takeRate(c.var.clients.redis, c.var.clients.prefix, c.var.token.id, tasks, rate, Date.now());
  if (verdict.admitted) return;
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1_000));
  const per = `${rate.limit} tasks per ${rate.windowMs} ms`;
  throw new ProblemError(
    {
      status: 429,
      kind: "rate-limited",
      title: "Too many requests",
      detail: verdict.tooBig
        ? `A batch of ${tasks} tasks is more than this token may enqueue in one window (${per}); split it`
        : `This token may enqueue ${per}; try again in ${seconds} s`,
    },
    { "retry-after": String(seconds) },
  );
}
