import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("GET /health", () => {
  it("answers without a token and reaches Redis", async () => {
    const answer = await call("GET", "/health", { token: null });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ok", redis: "PONG" });
  });
});

describe("GET /openapi.json", () => {
  it("describes every route of the API from the validating schemas", async () => {
    const answer = await call<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>("GET", "/openapi.json", {
      token: "read",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe("3.1.0");
    const routes = Object.entries(answer.body.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        "POST /v1/queues/{queue}/tasks",
        "GET /v1/tasks/{id}",
        "DELETE /v1/tasks/{id}",
        "GET /v1/queues",
        "GET /v1/queues/{queue}",
        "PATCH /v1/queues/{queue}",
        "POST /v1/queues/{queue}/pause",
        "POST /v1/queues/{queue}/resume",
        "GET /v1/queues/{queue}/dead",
        "GET /v1/queues/{queue}/flow",
        "GET /v1/queues/{queue}/flow/{key}",
        "POST /v1/queues/{queue}/dead/retry",
        "DELETE /v1/queues/{queue}/dead",
        "GET /v1/functions",
        "POST /v1/jobs",
        "GET /v1/jobs",
        "GET /v1/jobs/{id}",
        "GET /v1/jobs/{id}/events",
        "DELETE /v1/jobs/{id}",
        "GET /v1/tasks/{id}/events",
        "POST /v1/schedules",
        "GET /v1/schedules",
        "GET /v1/schedules/{id}",
        "DELETE /v1/schedules/{id}",
        "POST /v1/schedules/{id}/pause",
        "POST /v1/schedules/{id}/resume",
        "POST /v1/schedules/tick",
        "GET /v1/queues/{queue}/callback",
        "PUT /v1/queues/{queue}/callback",
        "DELETE /v1/queues/{queue}/callback",
        "POST /v1/work",
        "GET /health",
        "GET /metrics",
        "GET /v1/blobs",
        "PUT /v1/blobs/{key}",
        "GET /v1/blobs/{key}",
        "HEAD /v1/blobs/{key}",
        "DELETE /v1/blobs/{key}",
        "POST /v1/blobs/{key}/uploads",
        "PUT /v1/blobs/{key}/uploads/{uploadId}/{part}",
        "POST /v1/blobs/{key}/uploads/{uploadId}/complete",
        "DELETE /v1/blobs/{key}/uploads/{uploadId}",
      ].sort(),
    );
    const health = answer.body.paths["/health"]?.get as { security: unknown[] };
    expect(health.security).toEqual([]);
    const enqueue = answer.body.paths["/v1/queues/{queue}/tasks"]?.post as { requestBody: unknown };
    expect(JSON.stringify(enqueue.requestBody)).toContain("#/components/schemas/EnqueueBody");
    expect(Object.keys(answer.body.components.schemas)).toEqual(
      expect.arrayContaining(["EnqueueBody", "TaskRequest", "Task", "Queue", "Problem", "SettingsPatch"]),
    );
  });
});
