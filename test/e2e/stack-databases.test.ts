import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack";
import { createClient } from "../../src/client/index";
import { rendezvous } from "../../src/runtime/databases";

// `npm run dev -- --cluster --shards 2`: the main database a 3-master Redis Cluster, a second one a
// plain redis-server, each behind its REST server; tasks of queues on both run through QStash pushes
// (no cron), and the queue list shows every database's queues.
describe("local stack on a Redis Cluster and a second database", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ quiet: true, cronEverySeconds: 0, cluster: true, shards: 2 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("runs tasks of queues on either database, and lists them all", async () => {
    expect(stack.info.redisClusterPorts).toHaveLength(3);
    expect(stack.info.redisShards?.map((db) => db.name)).toEqual(["db1"]);
    const suffix = Date.now().toString(36);
    // six names, then more until both databases hold one: six random names all land on one database
    // one time in 32 (a fresh-clone CI run failed on it)
    const queues = ["a", "b", "c", "d", "e", "f"].map((name) => `stack-${name}-${suffix}`);
    for (let n = 0; new Set(queues.map((queue) => rendezvous(queue, ["main", "db1"]))).size < 2; n++) queues.push(`stack-more${n}-${suffix}`);
    expect(new Set(queues.map((queue) => rendezvous(queue, ["main", "db1"]))).size).toBeGreaterThan(1);
    const client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
    const ids = await Promise.all(queues.map(async (queue) => (await client.enqueue(queue, { fn: "echo", input: { queue } })).id));
    for (const [i, id] of ids.entries()) {
      let task = await client.getTask(id, 10);
      for (let n = 0; n < 5 && task.status !== "succeeded"; n++) task = await client.getTask(id, 10);
      expect(task).toMatchObject({ status: "succeeded", result: { queue: queues[i] } });
    }
    const listed = (await client.listQueues()).queues.map((queue) => queue.name);
    expect(listed).toEqual(expect.arrayContaining(queues));
  });
});
