/** Bindings the Worker reads: vars from wrangler.toml, secrets from `wrangler secret put` or .dev.vars. */
import type { BlobBucket } from "./blobs/index";

export interface Env {
  /** Where this Worker is reached; QStash pushes go to `${EDGEQ_PUBLIC_URL}/v1/work`. */
  EDGEQ_PUBLIC_URL: string;
  /** API tokens and scopes, `TOKEN:SCOPE[+SCOPE][@QUEUE[|QUEUE]]` entries separated by `;` or `,` (see src/http/tokens.ts). */
  EDGEQ_TOKENS: string;
  EDGEQ_LOG_LEVEL?: string;
  /** Per-token enqueue limit such as "1000/10s" (tasks per window); no limit when unset (see .github/SECURITY.md). */
  EDGEQ_ENQUEUE_RATE?: string;
  /** AES-GCM keys for inputs and results at rest, "ID:BASE64KEY" entries, the first one sealing; off when unset. */
  EDGEQ_ENCRYPTION_KEYS?: string;
  /** Prefix of every Redis key edgeq writes (default "edgeq"): deployments, or test files, sharing one database stay apart. */
  EDGEQ_KEY_PREFIX?: string;
  /** Hosts completion callbacks may reach, "hooks.example.com,*.example.org"; loopback only when unset (src/security/callback-hosts.ts). */
  EDGEQ_CALLBACK_HOSTS?: string;
  /** On unless "off": a single enqueue into an idle queue runs the queue's first invocation itself, with a delayed push as its safety net (src/runtime/inline-start.ts); "off" pushes for every enqueue. */
  EDGEQ_INLINE_START?: string;
  /** The main database: every queue with one database; with EDGEQ_REDIS_SHARDS, its share of queues and the deployment's own state. */
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  /** Further databases, a secret: JSON `[{"name":"eu2","url":"https://…","token":"…"}]`; queues are placed by rendezvous hashing (src/runtime/databases.ts). */
  EDGEQ_REDIS_SHARDS?: string;
  /** Queues pinned to a database, JSON `{"reports":"eu2"}` ("main" is UPSTASH_REDIS_REST_URL's). */
  EDGEQ_QUEUE_SHARDS?: string;
  QSTASH_URL: string;
  QSTASH_TOKEN: string;
  /** Both keys verify /v1/work deliveries, so that QStash's key rotation needs no deploy in between. */
  QSTASH_CURRENT_SIGNING_KEY: string;
  QSTASH_NEXT_SIGNING_KEY: string;
  /** R2 bucket of blobs (/v1/blobs, ctx.blobs) and of task inputs and results too large for Redis. */
  BLOBS?: BlobBucket;
}
