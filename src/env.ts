/** Bindings the Worker reads: vars from wrangler.toml, secrets from `wrangler secret put` or .dev.vars. */
export interface Env {
  EDGEQ_PUBLIC_URL: string;
  EDGEQ_TOKENS: string;
  EDGEQ_LOG_LEVEL?: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  QSTASH_URL: string;
  QSTASH_TOKEN: string;
  QSTASH_CURRENT_SIGNING_KEY: string;
  QSTASH_NEXT_SIGNING_KEY: string;
}
