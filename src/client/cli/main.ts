import { parseArgs } from "node:util";
import { createClient, EdgeqHttpError } from "../index";
import { resolveTarget } from "./config";
import { getFile, listAll, putFile } from "./blob";
import { runJobWithProgress } from "./job-run";
import type { BlobClient } from "../blobs";
import { scheduleCommand, scheduleUsage } from "./schedule";
import { watchTask } from "./task-watch";

const usage = `edgeq — command-line client of an edgeq deployment

Usage:
  edgeq enqueue <queue> <fn> [--input JSON] [--delay 10s] [--priority N] [--wait SECONDS]
  edgeq status <taskId> [--wait SECONDS]
  edgeq cancel <taskId>
  edgeq task watch <taskId>          (status and progress as they change, a bar for {done, total})
  edgeq job run <fn> [--input JSON] [--queue NAME]
  edgeq job status <jobId> [--wait SECONDS]
  edgeq job list | job cancel <jobId>
  edgeq queues
  edgeq queue <queue>
  edgeq pause <queue> | resume <queue>
  edgeq dead list <queue> | dead retry <queue> [taskId...] | dead purge <queue>
  edgeq functions
  edgeq blob put <file> <key> [--part-mb 16] [--max-parts N]   (larger files: multipart, resumable)
  edgeq blob get <key> [file] | blob ls [prefix] | blob rm <key>
${scheduleUsage}

Options: --url URL --token TOKEN (or EDGEQ_URL, EDGEQ_TOKEN; default: the local stack of \`npm run dev\`)`;

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function parseInput(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`--input is not valid JSON: ${text}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      input: { type: "string" },
      queue: { type: "string" },
      delay: { type: "string" },
      priority: { type: "string" },
      wait: { type: "string" },
      "part-mb": { type: "string" },
      "max-parts": { type: "string" },
      timezone: { type: "string" },
      id: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...args] = positionals;
  if (!command || values.help) {
    console.log(usage);
    return command || values.help ? 0 : 1;
  }
  const client = createClient(resolveTarget(values));
  const wait = values.wait === undefined ? undefined : Number(values.wait);
  const need = (index: number, name: string) => {
    const value = args[index];
    if (!value) throw new Error(`missing <${name}>\n\n${usage}`);
    return value;
  };

  switch (command) {
    case "enqueue": {
      const queue = need(0, "queue");
      const { id } = await client.enqueue(queue, {
        fn: need(1, "fn"),
        input: parseInput(values.input),
        ...(values.delay ? { delay: /^\d+(\.\d+)?$/.test(values.delay) ? Number(values.delay) : values.delay } : {}),
        ...(values.priority ? { priority: Number(values.priority) } : {}),
      });
      print(wait ? await client.getTask(id, wait) : { id });
      return 0;
    }
    case "status":
      print(await client.getTask(need(0, "taskId"), wait));
      return 0;
    case "cancel":
      print(await client.cancelTask(need(0, "taskId")));
      return 0;
    case "task": {
      if (need(0, "watch") !== "watch") throw new Error(`unknown task command ${args[0]}\n\n${usage}`);
      const task = await watchTask(client, need(1, "taskId"));
      print(task);
      return task.status === "succeeded" ? 0 : 1;
    }
    case "schedule":
      print(await scheduleCommand(client, args, { input: parseInput(values.input), queue: values.queue, timezone: values.timezone, id: values.id }));
      return 0;
    case "job": {
      const sub = need(0, "run|status|list|cancel");
      if (sub === "run") {
        const { job, seconds } = await runJobWithProgress(client, need(1, "fn"), parseInput(values.input), { queue: values.queue });
        print(job);
        console.error(`job ${job.id} ${job.status} in ${seconds.toFixed(2)} s`);
        return job.status === "succeeded" ? 0 : 1;
      }
      if (sub === "status") {
        print(await client.getJob(need(1, "jobId"), wait));
        return 0;
      }
      if (sub === "list") {
        print(await client.listJobs());
        return 0;
      }
      if (sub === "cancel") {
        print(await client.cancelJob(need(1, "jobId")));
        return 0;
      }
      throw new Error(`unknown job command ${sub}\n\n${usage}`);
    }
    case "queues":
      print(await client.listQueues());
      return 0;
    case "queue":
      print(await client.getQueue(need(0, "queue")));
      return 0;
    case "pause":
      print(await client.pauseQueue(need(0, "queue")));
      return 0;
    case "resume":
      print(await client.resumeQueue(need(0, "queue")));
      return 0;
    case "dead": {
      const sub = need(0, "list|retry|purge");
      const queue = need(1, "queue");
      if (sub === "list") print(await client.listDead(queue));
      else if (sub === "retry") print(await client.retryDead(queue, args.length > 2 ? args.slice(2) : undefined));
      else if (sub === "purge") print(await client.purgeDead(queue));
      else throw new Error(`unknown dead command ${sub}\n\n${usage}`);
      return 0;
    }
    case "functions":
      print(await client.listFunctions());
      return 0;
    case "blob":
      return blobCommand(client.blobs, need(0, "put|get|ls|rm"), args.slice(1), values, (index, name) => need(index + 1, name));
    default:
      throw new Error(`unknown command ${command}\n\n${usage}`);
  }
}

async function blobCommand(
  blobs: BlobClient,
  sub: string,
  args: string[],
  values: { "part-mb"?: string; "max-parts"?: string },
  need: (index: number, name: string) => string,
): Promise<number> {
  if (sub === "put") {
    const partMb = values["part-mb"] === undefined ? 16 : Number(values["part-mb"]);
    const maxParts = values["max-parts"] === undefined ? undefined : Number(values["max-parts"]);
    const outcome = await putFile(blobs, need(0, "file"), need(1, "key"), { partMb, ...(maxParts !== undefined ? { maxParts } : {}) });
    if (outcome.done) {
      print(outcome.info);
      return 0;
    }
    console.error(`paused: ${outcome.uploaded}/${outcome.parts} parts uploaded; run the same command again to resume`);
    return 3;
  }
  if (sub === "get") {
    const bytes = await getFile(blobs, need(0, "key"), args[1]);
    if (args[1]) console.error(`${bytes} bytes written to ${args[1]}`);
    return 0;
  }
  if (sub === "ls") {
    for (const { key, size } of await listAll(blobs, args[0] ?? "")) console.log(`${String(size).padStart(12)}  ${key}`);
    return 0;
  }
  if (sub === "rm") {
    print(await blobs.delete(need(0, "key")));
    return 0;
  }
  throw new Error(`unknown blob command ${sub}\n\n${usage}`);
}

export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    console.error(error instanceof EdgeqHttpError ? `edgeq: ${error.message}` : `edgeq: ${(error as Error).message}`);
    process.exitCode = error instanceof EdgeqHttpError ? 2 : 1;
  }
}
