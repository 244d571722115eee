/** The Hono environment of the app: the Worker's bindings and what middleware hands to handlers. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Env } from "../env";
import type { TaskQueue } from "../queue/types";
import type { Clients, FunctionRegistry } from "../runtime/index";
import type { ReplayMark } from "../security/index";
import type { Scope, TokenEntry } from "./tokens";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Scopes of the caller's token, set by requireScope. */
    scopes: ReadonlySet<Scope>;
    /** The caller's token entry (scopes, queues it reaches, its non-secret id), set by requireScope. */
    token: TokenEntry;
    /** The clients built from this request's bindings, set by withClients. */
    clients: Clients;
    /** The queue core over this request's Redis client (clients.tasks), set by withClients. */
    queue: TaskQueue;
    /** The function registry the composition root (src/index.ts) gave the app, set by withClients. */
    functions: FunctionRegistry;
    /** A verified QStash delivery whose replay mark the handler sets (requireQStashSignature). */
    qstashDelivery: { jti: string; replayMark: ReplayMark };
  };
}

export type App = OpenAPIHono<AppEnv>;

/** A handler's or middleware's context in this app. */
export type AppContext = Context<AppEnv>;
