/**
 * Everything an invocation needs: the clients (clients.ts), the function registry the composition
 * root (src/index.ts) passes in, and the knobs below. Built per invocation (bindings are per
 * request on Workers); nothing opens a connection until used.
 */
import { MAX_PAYLOAD_BYTES, blobStore } from "../blobs/index";
import type { Env } from "../env";
import { DEFAULT_MAX_INPUT_BYTES } from "../queue/index";
import type { JobStore } from "../queue/jobs/index";
import type { TaskQueue } from "../queue/types";
import { type PayloadCipher, payloadCipher, sealedCapacity } from "../security/index";
import { type BudgetLimits, type Clock, systemClock } from "./budget";
import { type Clients, clientsFromEnv } from "./clients";
import type { PushEpochs } from "./epochs";
import { type InvocationDeps, publishBacklogPushes } from "./invocation";
import { jobsRuntime } from "./jobs/wire";
import { alsoDeliverCallbacks, callbackPublisher, type CallbackDeps, deliverJobCallback, sweepCallbacks } from "./callbacks";
import { createCallbackStore } from "../queue/callbacks";
import { createProgressStore } from "../queue/progress";
import type { Logger } from "./logger";
import type { PushPublisher } from "./publisher";
import type { FunctionRegistry } from "./registry";
import { type TaskTracer, taskTracer } from "./tracing";
import type { BatchReport } from "./types";

/** The registry to run, and knobs for tests and embedders; the Worker uses the defaults. */
export interface RuntimeOptions {
  functions: FunctionRegistry;
  budget?: BudgetLimits;
  concurrency?: number;
  defaultTimeoutMs?: number;
  scaleIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Hooks around each attempt; by default the one installed with setTaskTracer (tracing.ts). */
  tracer?: TaskTracer;
  /** The fold lease of a job fold round (jobs/fold.ts FOLD_LEASE_MS): tests shorten it. */
  foldLeaseMs?: number;
}

/**
 * A push invocation stops claiming after 10 s so that pushes rotate and QStash spreads the work;
 * running tasks may take until 90 s (a function's timeout of 60 s fits), well inside QStash's
 * delivery timeout (PUSH_DELIVERY_TIMEOUT_SECONDS, clients.ts). The cron gets a longer share: it is
 * the only drainer when pushes fail. 400 batches leave room under the paid plan's 1,000
 * subrequests for lease extensions and pushes.
 */
export const PUSH_BUDGET: BudgetLimits = { softMs: 10_000, hardMs: 90_000, maxBatches: 400 };
export const CRON_BUDGET: BudgetLimits = { softMs: 25_000, hardMs: 90_000, maxBatches: 400 };
const DEFAULT_CONCURRENCY = 32;
const DEFAULT_TIMEOUT_MS = 30_000;
const SCALE_INTERVAL_MS = 1_000;

export interface Runtime extends InvocationDeps {
  tasks: TaskQueue;
  epochs: PushEpochs;
  publisher: PushPublisher;
  jobs: JobStore;
  foldJobs(queue: string, untilMs: number): Promise<unknown>;
  /** A fold push's work: fold the queue's job results, claim nothing (jobs/fold-push.ts). */
  foldFromPush(queue: string): Promise<BatchReport>;
  /** Delivers callbacks of tasks that ended where no worker did (the cron's sweep). */
  sweepCallbacks(queue: string): Promise<number>;
  /** The clients it runs over (schedules fire through them). */
  clients: Clients;
  /** The runtime over the database that holds `queue` (this one with one database): a queue's work runs there. */
  forQueue(queue: string): Runtime;
}

/** The push and cron handlers' runtime: clients from the bindings, encryption at rest when set. */
export function runtimeFromEnv(env: Env, options: RuntimeOptions): Runtime {
  // A malformed EDGEQ_ENCRYPTION_KEYS fails the invocation loudly.
  return createRuntime(clientsFromEnv(env, options), payloadCipher(env.EDGEQ_ENCRYPTION_KEYS), options);
}

/** `perDatabase`: the runtimes of the other databases, built once each when first needed. */
export function createRuntime(clients: Clients, payloads: PayloadCipher | null, options: RuntimeOptions, perDatabase = new Map<string, Runtime>()): Runtime {
  const base = {
    payloads,
    tasks: clients.tasks,
    functions: options.functions,
    clock: options.clock ?? systemClock,
    log: clients.log,
    ...(clients.bucket ? { bucket: clients.bucket } : {}),
    keyPrefix: clients.prefix,
  };
  const callbacks = callbackDeps(clients, base);
  // Map-reduce jobs: the splitter's chunks get pushes like any new backlog; a finished job's callback goes out.
  const jobs = jobsRuntime(
    clients.redis,
    clients.prefix,
    { ...base, publisher: clients.publisher, ...(options.foldLeaseMs === undefined ? {} : { foldLeaseMs: options.foldLeaseMs }) },
    (queue) => publishBacklogPushes(queue, runtime),
    (jobId, queue) => deliverJobCallback(queue, jobId, { ...callbacks, jobs: runtime.jobs }).catch((error: unknown) => {
      base.log.warn("could not deliver a job's completion callback", { jobId, queue, error: String(error) });
    }),
  );
  const runtime: Runtime = {
    ...base,
    clients,
    epochs: clients.epochs,
    publisher: clients.publisher,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    // With R2 bound, large results leave Redis (src/blobs/payloads.ts); otherwise a sealed one must fit the core's limit.
    ...(clients.bucket ? { maxResultBytes: MAX_PAYLOAD_BYTES } : payloads ? { maxResultBytes: sealedCapacity(DEFAULT_MAX_INPUT_BYTES) } : {}),
    scaleIntervalMs: options.scaleIntervalMs ?? SCALE_INTERVAL_MS,
    tracer: options.tracer ?? taskTracer(),
    ...(clients.bucket ? { blobs: blobStore(clients.bucket) } : {}),
    progress: createProgressStore(clients.redis, { prefix: clients.prefix }),
    ...jobs,
    // Beside each batch's fold: the completion callbacks of its tasks that ended.
    afterSettle: alsoDeliverCallbacks(jobs.afterSettle, callbacks),
    sweepCallbacks: (queue) => sweepCallbacks(queue, callbacks),
    forQueue(queue) {
      const target = clients.forQueue(queue);
      if (target === clients) return runtime;
      let other = perDatabase.get(target.database);
      if (!other) perDatabase.set(target.database, (other = createRuntime(target, payloads, options, perDatabase)));
      return other;
    },
  };
  return runtime;
}

/** What delivering completion callbacks needs, over the clients. */
export function callbackDeps(clients: Clients, parts: Pick<CallbackDeps, "tasks" | "log" | "payloads">): CallbackDeps {
  return { ...parts, ...(clients.bucket ? { bucket: clients.bucket } : {}), callbacks: createCallbackStore(clients.redis, { prefix: clients.prefix }), publish: callbackPublisher(clients.qstash) };
}
