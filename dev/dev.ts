import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { startStack, writeStackInfo } from "./stack";

// `npm run dev`: the whole local stack until Ctrl-C.
const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1" },
    "cron-every": { type: "string" },
    // Edgeq's Redis as a 3-master Redis Cluster, the REST server routing by slot.
    cluster: { type: "boolean", default: false },
    // Databases in all: the main one and N-1 more, each with its REST server (EDGEQ_REDIS_SHARDS).
    shards: { type: "string", default: "1" },
    // Where to describe the stack; tools look in .edgeq/stack.json by default.
    "stack-file": { type: "string" },
  },
});

const shardCount = Number(values.shards);
if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 16) {
  console.error(`--shards must be an integer from 1 to 16, got ${values.shards}`);
  process.exit(2);
}
const stack = await startStack({
  workers: Number(values.workers),
  cronEverySeconds: values["cron-every"] === undefined ? undefined : Number(values["cron-every"]),
  cluster: values.cluster,
  shards: shardCount,
});
const clusterNote = stack.info.redisClusterPorts ? `\n  cluster    masters on ports ${stack.info.redisClusterPorts.join(", ")}` : "";
const shardNote = (stack.info.redisShards ?? []).map((db) => `\n  ${db.name.padEnd(10)} ${db.restUrl} (REST), port ${db.redisPort}`).join("");
const stackFile = writeStackInfo(stack.info, values["stack-file"]);
console.log(`edgeq local stack is up
  worker     ${stack.info.workerUrl}   (dashboard: ${stack.info.workerUrl}/dashboard)
  api token  ${stack.info.apiToken}
  redis      ${stack.info.redisRestUrl} (REST), port ${stack.info.redisPort}${clusterNote}${shardNote}
  qstash     ${stack.info.qstashUrl} (its own redis-server on port ${stack.info.qstashRedisPort})
  details    ${stackFile}
Ctrl-C stops everything.`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping edgeq local stack…");
  await stack.stop();
  rmSync(stackFile, { force: true });
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
