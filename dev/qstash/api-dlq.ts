import type { ApiContext } from "./api-publish";
import { checkFilters, countParam, matchesFilters } from "./filters";
import { endOfPath, type ApiRequest, type Route } from "./http-server";
import { newId } from "./publish";
import { QStashApiError, type DlqRecord, type MessageRecord } from "./types";
import { dlqView } from "./views";

/**
 * The entries a bulk DLQ action applies to: the listed dlqIds, or up to `count` entries matching the
 * filters (all when there is none). Processed entries leave the DLQ, so the cursor only says "call again".
 */
async function selectEntries(context: ApiContext, request: ApiRequest): Promise<{ entries: DlqRecord[]; cursor?: string }> {
  checkFilters(request.query, "dlq");
  const all = await context.catalog.dlqEntries();
  const ids = request.query.getAll("dlqIds");
  if (ids.length > 0) return { entries: all.filter((entry) => ids.includes(entry.dlqId)) };
  const matching = all.filter((entry) => matchesFilters(entry, request.query));
  const count = countParam(request.query);
  return { entries: matching.slice(0, count), cursor: matching.length > count ? String(count) : undefined };
}

/** A dead message sent again: a new message with the same content and a fresh retry budget. */
function revived(entry: DlqRecord, now: number): MessageRecord {
  const { dlqId: _dlqId, responseStatus: _status, responseHeader: _header, responseBodyBase64: _body, error: _error, failedAt: _failedAt, ...message } = entry;
  return { ...message, messageId: newId("msg_"), retried: 0, notBefore: now, createdAt: now };
}

export function dlqRoutes(context: ApiContext): Route[] {
  return [
    {
      method: "GET",
      pattern: new RegExp(`^/v2/dlq${endOfPath}`),
      handle: async (request) => {
        checkFilters(request.query, "dlq");
        const ids = request.query.getAll("dlqIds");
        const matching = (await context.catalog.dlqEntries()).filter((entry) =>
          ids.length > 0 ? ids.includes(entry.dlqId) : matchesFilters(entry, request.query));
        const offset = Number(request.query.get("cursor") ?? 0) || 0;
        const count = countParam(request.query);
        const page = matching.slice(offset, offset + count);
        const cursor = offset + count < matching.length ? String(offset + count) : undefined;
        return { status: 200, body: { messages: page.map(dlqView), ...(cursor ? { cursor } : {}) } };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/dlq/([^/?]+)${endOfPath}`),
      handle: async (_request, [id = ""]) => {
        const deleted = await context.catalog.deleteDlq([decodeURIComponent(id)]);
        if (deleted === 0) throw new QStashApiError(404, `DLQ entry ${decodeURIComponent(id)} not found`);
        return { status: 200, body: { deleted } };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/dlq${endOfPath}`),
      handle: async (request) => {
        const { entries, cursor } = await selectEntries(context, request);
        const deleted = await context.catalog.deleteDlq(entries.map((entry) => entry.dlqId));
        return { status: 200, body: { deleted, ...(cursor ? { cursor } : {}) } };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/v2/dlq/retry${endOfPath}`),
      handle: async (request) => {
        const { entries, cursor } = await selectEntries(context, request);
        const responses: { messageId: string }[] = [];
        for (const entry of entries) {
          // Publish first, then drop the entry: a crash in between sends it twice rather than never.
          const accepted = await context.engine.accept(revived(entry, request.now));
          await context.catalog.deleteDlq([entry.dlqId]);
          responses.push({ messageId: accepted.messageId });
        }
        return { status: 200, body: { responses, ...(cursor ? { cursor } : {}) } };
      },
    },
  ];
}
