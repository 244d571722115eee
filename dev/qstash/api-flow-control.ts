import type { ApiContext } from "./api-publish";
import { endOfPath, type Route } from "./http-server";
import { QStashApiError } from "./types";

function positiveInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new QStashApiError(400, `invalid ${name} ${JSON.stringify(raw)} (expected a positive integer)`);
  return Number(raw);
}

/**
 * Flow-control keys: their state, pause/resume, pinned limits, rate reset; and the global parallelism.
 * Counters live in the delivery loop's memory (a key unseen since the start is unknown); pauses and
 * pins are also kept in Redis.
 */
export function flowControlRoutes(context: ApiContext): Route[] {
  const action = (name: string, handle: (key: string, query: URLSearchParams) => Promise<void>): Route => ({
    method: "POST",
    pattern: new RegExp(`^/v2/flowControl/([^/?]+)/${name}${endOfPath}`),
    handle: async (request, [key = ""]) => {
      await handle(decodeURIComponent(key), request.query);
      return { status: 200 };
    },
  });
  return [
    {
      method: "GET",
      pattern: new RegExp(`^/v2/flowControl/([^/?]+)${endOfPath}`),
      handle: async (_request, [key = ""]) => {
        const info = context.engine.flowControlInfo(decodeURIComponent(key));
        if (!info) throw new QStashApiError(404, `flow-control key ${decodeURIComponent(key)} not found`);
        return { status: 200, body: info };
      },
    },
    action("pause", (key) => context.engine.controlFlow(key, { paused: true })),
    action("resume", (key) => context.engine.controlFlow(key, { paused: false })),
    action("pin", async (key, query) => {
      const pin = { parallelism: positiveInteger(query, "parallelism"), rate: positiveInteger(query, "rate"), period: positiveInteger(query, "period") };
      if (pin.parallelism === undefined && pin.rate === undefined) throw new QStashApiError(400, "pin needs parallelism or rate");
      await context.engine.controlFlow(key, { pin });
    }),
    action("unpin", async (key, query) => {
      const unpin = (["parallelism", "rate"] as const).filter((field) => query.get(field) === "true");
      await context.engine.controlFlow(key, { unpin });
    }),
    action("resetRate", (key) => context.engine.controlFlow(key, { resetRate: true })),
    {
      method: "GET",
      pattern: new RegExp(`^/v2/globalParallelism${endOfPath}`),
      handle: async () => ({ status: 200, body: context.engine.globalParallelism() }),
    },
  ];
}
