/**
 * Everything an invocation needs, built from the Worker's bindings. Clients are built per
 * invocation (bindings are per request on Workers) and open no connection until used.
 */
import { Client } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { functions as registeredFunctions } from "../../functions/index";
import { MAX_PAYLOAD_BYTES } from "../blobs/payloads";
import { blobStore } from "../blobs/store";
import type { Env } from "../env";
import { createTaskQueue, DEFAULT_MAX_INPUT_BYTES } from "../queue/index";
import { payloadCipher, sealedCapacity } from "../security/cipher";
import type { TaskQueue } from "../queue/types";
import { type BudgetLimits, type Clock, systemClock } from "./budget";
import { type PushEpochs, redisPushEpochs } from "./epochs";
import { type InvocationDeps, publishForBacklog } from "./invocation";
import { jobsRuntime } from "./jobs/wire";
import type { JobStore } from "../queue/jobs/store";
import { createLogger, type Logger, parseLogLevel } from "./logger";
import { type PushPublisher, qstashPublisher } from "./publisher";
import type { FunctionRegistry } from "./registry";
import { type TaskTracer, taskTracer } from "./tracing";

/** Knobs for tests and embedders; the Worker uses the defaults. */
export interface RuntimeOptions {
  budget?: BudgetLimits;
  concurrency?: number;
  defaultTimeoutMs?: number;
  scaleIntervalMs?: number;
  functions?: FunctionRegistry;
  clock?: Clock;
  log?: Logger;
  /** Hooks around each attempt; by default the one installed with setTaskTracer (tracing.ts). */
  tracer?: TaskTracer;
}

/**
 * A push invocation stops claiming after 10 s so that pushes rotate and QStash spreads the work;
 * running tasks may take until 90 s (a function's timeout of 60 s fits), well inside QStash's
 * delivery timeout below. The cron gets a longer share: it is the only drainer when pushes fail.
 * 400 batches leave room under the paid plan's 1,000 subrequests for lease extensions and pushes.
 */
export const PUSH_BUDGET: BudgetLimits = { softMs: 10_000, hardMs: 90_000, maxBatches: 400 };
export const CRON_BUDGET: BudgetLimits = { softMs: 25_000, hardMs: 90_000, maxBatches: 400 };
export const PUSH_DELIVERY_TIMEOUT_SECONDS = 120;
const PUSH_DELIVERY_RETRIES = 3;
const DEFAULT_CONCURRENCY = 32;
const DEFAULT_TIMEOUT_MS = 30_000;
const SCALE_INTERVAL_MS = 1_000;

export interface Runtime extends InvocationDeps {
  tasks: TaskQueue;
  epochs: PushEpochs;
  publisher: PushPublisher;
  jobs: JobStore;
  foldJobs(queue: string, untilMs: number): Promise<unknown>;
}

export function internalRedis(env: Env): Redis {
  // Payloads are JSON text already: base64 replies and automatic parsing only cost CPU here.
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    responseEncoding: false,
    automaticDeserialization: false,
  });
}

export function pushPublisher(env: Env): PushPublisher {
  // devMode off: the SDK would otherwise try to download and start its own dev server. Few, quick
  // retries: a publish is best-effort (the cron is the safety net) and must not hold up a worker.
  const client = new Client({
    baseUrl: env.QSTASH_URL,
    token: env.QSTASH_TOKEN,
    devMode: false,
    enableTelemetry: false,
    retry: { retries: 2, backoff: (retry) => 50 * 2 ** retry },
  });
  return qstashPublisher(client, {
    publicUrl: env.EDGEQ_PUBLIC_URL,
    deliveryTimeoutSeconds: PUSH_DELIVERY_TIMEOUT_SECONDS,
    retries: PUSH_DELIVERY_RETRIES,
  });
}

export function runtimeLogger(env: Env, options: RuntimeOptions = {}): Logger {
  return options.log ?? createLogger(parseLogLevel(env.EDGEQ_LOG_LEVEL), { component: "runtime" });
}

export function runtimeFromEnv(env: Env, options: RuntimeOptions = {}): Runtime {
  const redis = internalRedis(env);
  // Encryption at rest, when EDGEQ_ENCRYPTION_KEYS is set; a malformed secret fails the invocation loudly.
  const payloads = payloadCipher(env.EDGEQ_ENCRYPTION_KEYS);
  const base = {
    payloads,
    tasks: createTaskQueue(redis, {}),
    functions: options.functions ?? registeredFunctions,
    clock: options.clock ?? systemClock,
    log: runtimeLogger(env, options),
    ...(env.BLOBS ? { bucket: env.BLOBS } : {}),
  };
  const runtime: Runtime = {
    ...base,
    epochs: redisPushEpochs(redis),
    publisher: pushPublisher(env),
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    // With R2 bound, large results leave Redis (src/blobs/payloads.ts); otherwise a sealed one must fit the core's limit.
    ...(env.BLOBS ? { maxResultBytes: MAX_PAYLOAD_BYTES } : payloads ? { maxResultBytes: sealedCapacity(DEFAULT_MAX_INPUT_BYTES) } : {}),
    scaleIntervalMs: options.scaleIntervalMs ?? SCALE_INTERVAL_MS,
    tracer: options.tracer ?? taskTracer(),
    ...(env.BLOBS ? { blobs: blobStore(env.BLOBS), bucket: env.BLOBS } : {}),
    // Map-reduce jobs: the splitter's chunks get pushes like any new backlog.
    ...jobsRuntime(redis, base, (queue) => publishForBacklog(queue, runtime)),
  };
  return runtime;
}
