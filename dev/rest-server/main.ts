/**
 * Command line: node --import tsx dev/rest-server/main.ts --redis-url redis://127.0.0.1:6379 --token T
 *   [--port 8079] [--host 127.0.0.1] [--max-body-bytes N] [--pool-size N] [--faults error-before=0.05,drop-after=0.05]
 *   [--max-record-bytes N (default 100 MB)] [--max-commands-per-second N (default: no cap)]
 *   [--cluster (--redis-url names any node of a Redis Cluster; requests are routed by slot)]
 * Prints the URL once it listens; Ctrl-C or SIGTERM closes it.
 */
import { parseArgs } from "node:util";
import { parseFaultRates, randomFaults, type FaultInjector } from "./faults";
import { startRestServer } from "./index";

const { values } = parseArgs({
  options: {
    "redis-url": { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    token: { type: "string", default: process.env.UPSTASH_REDIS_REST_TOKEN },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "max-body-bytes": { type: "string" },
    "pool-size": { type: "string" },
    faults: { type: "string" },
    "max-record-bytes": { type: "string" },
    "max-commands-per-second": { type: "string" },
    cluster: { type: "boolean", default: false },
  },
});

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, got ${text}`);
    process.exit(2);
  }
  return value;
}

if (!values.token) {
  console.error("--token (or UPSTASH_REDIS_REST_TOKEN) is required");
  process.exit(2);
}

let faults: FaultInjector | undefined;
try {
  faults = values.faults ? randomFaults(parseFaultRates(values.faults)) : undefined;
} catch (error) {
  console.error(`--faults: ${(error as Error).message}`);
  process.exit(2);
}

const server = await startRestServer({
  redisUrl: values["redis-url"]!,
  cluster: values.cluster,
  token: values.token,
  port: positiveInt("port", values.port),
  host: values.host,
  maxBodyBytes: positiveInt("max-body-bytes", values["max-body-bytes"]),
  poolSize: positiveInt("pool-size", values["pool-size"]),
  maxRecordBytes: positiveInt("max-record-bytes", values["max-record-bytes"]),
  maxCommandsPerSecond: positiveInt("max-commands-per-second", values["max-commands-per-second"]),
  faults,
});
console.log(`Upstash-compatible REST server on ${server.url} (redis ${values["redis-url"]})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
