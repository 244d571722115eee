/**
 * The JSON shapes of the HTTP API, the one definition that the server (the queue core, the runtime,
 * the Hono app) and the client SDK both import. Types only: nothing here runs, and it imports
 * nothing of edgeq, so the client may take it without taking server code (.dependency-cruiser.cjs).
 * src/http/wire-checks.ts holds the OpenAPI schemas to these types at compile time.
 * Durations in answers are milliseconds; timestamps, milliseconds since the epoch.
 */
export type * from "./flow";
export type * from "./blobs";
export type * from "./functions";
export type * from "./jobs";
export type * from "./problem";
export type * from "./queues";
export type * from "./schedules";
export type * from "./tasks";
