import type { ApiContext } from "./api-publish";
import { endOfPath, type ApiRequest, type Route } from "./http-server";
import { checkDestination, checkName } from "./publish";
import { QStashApiError, type TopicRecord } from "./types";

interface EndpointInput {
  url?: unknown;
  name?: unknown;
}

/** The `{ endpoints: [{ url, name? }] }` body of the endpoint routes, checked whole before any change. */
function readEndpoints(request: ApiRequest, urlRequired: boolean): { url?: string; name?: string }[] {
  let input: { endpoints?: unknown };
  try {
    input = JSON.parse(request.body.toString("utf8")) as typeof input;
  } catch {
    throw new QStashApiError(400, "body must be JSON {endpoints: [{url, name?}]}");
  }
  if (!Array.isArray(input.endpoints) || input.endpoints.length === 0) throw new QStashApiError(400, "endpoints must be a non-empty array");
  return (input.endpoints as EndpointInput[]).map((endpoint, index) => {
    const url = typeof endpoint?.url === "string" ? checkDestination(endpoint.url) : undefined;
    const name = typeof endpoint?.name === "string" ? endpoint.name : undefined;
    if (urlRequired ? url === undefined : url === undefined && name === undefined) {
      throw new QStashApiError(400, `endpoint ${index} needs ${urlRequired ? "a url" : "a url or a name"}`);
    }
    return { url, name };
  });
}

/** URL groups (called topics in the API paths): named sets of endpoints that a publish fans out to. */
export function topicRoutes(context: ApiContext): Route[] {
  const find = async (encoded: string): Promise<TopicRecord> => {
    const name = checkName("URL group", decodeURIComponent(encoded));
    const topic = await context.catalog.topics.get(name);
    if (!topic) throw new QStashApiError(404, `URL group ${name} not found`);
    return topic;
  };
  const endpointsPath = new RegExp(`^/v2/topics/([^/?]+)/endpoints${endOfPath}`);
  return [
    {
      method: "POST",
      pattern: endpointsPath,
      handle: async (request, [encoded = ""]) => {
        const name = checkName("URL group", decodeURIComponent(encoded));
        const added = readEndpoints(request, true);
        const topic = (await context.catalog.topics.get(name)) ?? { name, endpoints: [], createdAt: request.now, updatedAt: request.now };
        for (const { url, name: endpointName } of added) {
          const kept = topic.endpoints.filter((endpoint) => endpoint.url !== url);
          topic.endpoints = [...kept, { url: url as string, ...(endpointName ? { name: endpointName } : {}) }];
        }
        await context.catalog.topics.put({ ...topic, updatedAt: request.now });
        return { status: 200 };
      },
    },
    {
      method: "DELETE",
      pattern: endpointsPath,
      handle: async (request, [encoded = ""]) => {
        const topic = await find(encoded);
        const removed = readEndpoints(request, false);
        const gone = (endpoint: { url: string; name?: string }) =>
          removed.some((item) => (item.url === undefined || item.url === endpoint.url) && (item.name === undefined || item.name === endpoint.name));
        await context.catalog.topics.put({ ...topic, endpoints: topic.endpoints.filter((endpoint) => !gone(endpoint)), updatedAt: request.now });
        return { status: 200 };
      },
    },
    { method: "GET", pattern: new RegExp(`^/v2/topics${endOfPath}`), handle: async () => ({ status: 200, body: await context.catalog.topics.all() }) },
    { method: "GET", pattern: new RegExp(`^/v2/topics/([^/?]+)${endOfPath}`), handle: async (_request, [encoded = ""]) => ({ status: 200, body: await find(encoded) }) },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v2/topics/([^/?]+)${endOfPath}`),
      handle: async (_request, [encoded = ""]) => {
        await context.catalog.topics.delete((await find(encoded)).name);
        return { status: 200 };
      },
    },
  ];
}
