import type { ApiContext } from "./api-publish";
import { checkFilters, countParam, matchesFilters } from "./filters";
import { endOfPath, type Route } from "./http-server";
import { QStashApiError } from "./types";
import { messageView } from "./views";

/** Messages not yet delivered (read, cancel one, some or those matching filters) and their log. */
export function messageRoutes(context: ApiContext): Route[] {
  const cancel = async (messageIds: string[]) => {
    context.engine.forget(messageIds);
    const canceled = await context.messages.cancel(messageIds);
    for (const message of canceled) context.events.record("CANCELED", message);
    return canceled.length;
  };
  return [
    {
      method: "GET",
      pattern: new RegExp(`^/v2/events${endOfPath}`),
      handle: async (request) => {
        checkFilters(request.query);
        return { status: 200, body: await context.events.list(request.query, countParam(request.query)) };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/v2/messages/([^/?]+)${endOfPath}`),
      handle: async (_request, [id = ""]) => {
        const message = await context.messages.get(decodeURIComponent(id));
        if (!message) throw new QStashApiError(404, `message ${decodeURIComponent(id)} not found`);
        return { status: 200, body: messageView(message) };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/messages/([^/?]+)${endOfPath}`),
      handle: async (_request, [id = ""]) => {
        const cancelled = await cancel([decodeURIComponent(id)]);
        if (cancelled === 0) throw new QStashApiError(404, `message ${decodeURIComponent(id)} not found (delivered, canceled, or never published)`);
        return { status: 200, body: { cancelled } };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/messages${endOfPath}`),
      handle: async (request) => {
        checkFilters(request.query);
        const ids = request.query.getAll("messageIds");
        if (ids.length > 0) return { status: 200, body: { cancelled: await cancel(ids) } };
        // No filter at all means every pending message (the client's `{ all: true }`); `count`, when
        // sent (the SDK sends 100 unless told), caps one call, and the caller calls again until 0.
        const matching = (await context.messages.pending()).filter((message) => matchesFilters(message, request.query));
        const count = request.query.has("count") ? countParam(request.query) : matching.length;
        return { status: 200, body: { cancelled: await cancel(matching.slice(0, count).map((message) => message.messageId)) } };
      },
    },
  ];
}
