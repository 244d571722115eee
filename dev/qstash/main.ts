import { parseArgs } from "node:util";
import { startQStashServer } from "./index";

// The credentials @upstash/qstash's own dev mode expects (QSTASH_DEV=true), so such clients work unchanged.
const devDefaults = {
  token: "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=",
  currentSigningKey: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
  nextSigningKey: "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
};

const usage = `Usage: node --import tsx dev/qstash/main.ts [options]
  --redis-url URL      redis-server keeping the state (env REDIS_URL; default redis://127.0.0.1:6379)
  --port N             port to listen on (env QSTASH_DEV_PORT; default 8080, 0 for a free one)
  --host HOST          address to listen on (default 127.0.0.1)
  --token T            bearer token clients send (env QSTASH_TOKEN; default: the SDK's dev-mode token)
  --current-key K      signing key (env QSTASH_CURRENT_SIGNING_KEY)
  --next-key K         next signing key (env QSTASH_NEXT_SIGNING_KEY)
  --key-prefix P       Redis key prefix (default qstash:)
  --concurrency N      deliveries in flight at once (default 256)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "redis-url": { type: "string" }, port: { type: "string" }, host: { type: "string" }, token: { type: "string" },
      "current-key": { type: "string" }, "next-key": { type: "string" }, "key-prefix": { type: "string" },
      concurrency: { type: "string" }, help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const env = process.env;
  const number = (text: string | undefined, name: string) => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}\n${usage}`);
    return Number(text);
  };
  const server = await startQStashServer({
    redisUrl: values["redis-url"] ?? env.REDIS_URL ?? "redis://127.0.0.1:6379",
    port: number(values.port ?? env.QSTASH_DEV_PORT, "port") ?? 8080,
    host: values.host,
    token: values.token ?? env.QSTASH_TOKEN ?? devDefaults.token,
    currentSigningKey: values["current-key"] ?? env.QSTASH_CURRENT_SIGNING_KEY ?? devDefaults.currentSigningKey,
    nextSigningKey: values["next-key"] ?? env.QSTASH_NEXT_SIGNING_KEY ?? devDefaults.nextSigningKey,
    keyPrefix: values["key-prefix"],
    concurrency: number(values.concurrency, "concurrency"),
  });
  console.log(`QStash dev server running at ${server.url}`);
  const stop = () => {
    server.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`qstash dev server: ${(error as Error).message}`);
  process.exit(1);
});
