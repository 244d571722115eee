/**
 * Where single enqueues' Redis commands go: bench/system.ts's single pattern (20 clients, one task a
 * request) on a fresh stack, under MONITOR, with each script call and its inner calls counted by
 * script name. Prints commands a task by script and the inner calls of each script call by command.
 * A script whose SHA differs from Node's build of it (the Worker's bundle composes some differently)
 * is named by its SHA's first 8 digits: its inner calls tell which it is (RPUSH: enqueue, LPOP: settle).
 *
 *   node --import tsx bench/single-trace.ts [--tasks 400] [--workers 2]
 */
import { parseArgs } from "node:util";
import { startStack } from "../dev/stack";
import { OTHER_SCRIPTS, QUEUE_SCRIPTS } from "../test/support/lua-scripts";
import { benchQueueName } from "./edgeq-workload";
import { runLoad } from "./load-client";
import { startMonitor } from "./redis-trace";
import { RedisProbe } from "./redis-probe";
import { edge, untilDone } from "./system";
import { api } from "./stack-workload";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "400" }, workers: { type: "string", default: "2" } } });
const tasks = Number(values.tasks);
const scripts = new Map<string, string>();
for (const script of [...QUEUE_SCRIPTS, ...OTHER_SCRIPTS]) scripts.set(await script.sha(), script.name);

const stack = await startStack({ workers: Number(values.workers), cronEverySeconds: 0, quiet: true });
const probe = new RedisProbe(`redis://127.0.0.1:${stack.info.redisPort}`);
/** per script: calls, inner calls, and inner calls by command */
const byScript = new Map<string, { calls: number; inner: number; commands: Map<string, number> }>();
let current = "";
try {
  const queue = benchQueueName("single");
  await api(stack.info)("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: null });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stop = await startMonitor(stack.info.redisPort, ({ source, args }) => {
    const [name = "", sha = ""] = args;
    if (source !== "lua") {
      current = /^evalsha$/i.test(name) ? scripts.get(sha) ?? sha.slice(0, 8) : name.toUpperCase();
      const entry = byScript.get(current) ?? { calls: 0, inner: 0, commands: new Map() };
      entry.calls++;
      byScript.set(current, entry);
    } else {
      const entry = byScript.get(current)!;
      entry.inner++;
      const command = `${name.toUpperCase()} ${(args[1] ?? "").replace(/^.*\}:/, "").replace(/:.*$/, "")}`;
      entry.commands.set(command, (entry.commands.get(command) ?? 0) + 1);
    }
  });
  const { ids } = await runLoad({ kind: "enqueue", url: stack.info.workerUrl, spread: edge(stack), token: stack.info.apiToken, queue, tasks, clients: 20 });
  await untilDone(probe, ids, 120_000);
  stop();
} finally {
  await probe.close();
  await stack.stop();
}
let total = 0;
for (const [name, { calls, inner, commands }] of byScript) {
  if (name === "HMGET" || name === "INFO") continue; // the probe's own (the Worker's HMGETs run in scripts)
  total += calls + inner;
  const each = [...commands].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${(n / calls).toFixed(2)}`).join(", ");
  console.log(`${name}: ${calls} calls, ${((calls + inner) / tasks).toFixed(3)} commands a task, ${(inner / calls).toFixed(2)} inner a call: ${each}`);
}
console.log(`all: ${(total / tasks).toFixed(2)} commands a task (probe's HMGETs and INFO left out)`);
