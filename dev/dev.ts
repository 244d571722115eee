import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { startStack, writeStackInfo } from "./stack";

// `npm run dev`: the whole local stack until Ctrl-C.
const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1" },
    "cron-every": { type: "string" },
    // Where to describe the stack; tools look in .edgeq/stack.json by default.
    "stack-file": { type: "string" },
  },
});

const stack = await startStack({
  workers: Number(values.workers),
  cronEverySeconds: values["cron-every"] === undefined ? undefined : Number(values["cron-every"]),
});
const stackFile = writeStackInfo(stack.info, values["stack-file"]);
console.log(`edgeq local stack is up
  worker     ${stack.info.workerUrl}   (dashboard: ${stack.info.workerUrl}/dashboard)
  api token  ${stack.info.apiToken}
  redis      ${stack.info.redisRestUrl} (REST), port ${stack.info.redisPort}
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
