/**
 * Runs the shared test stack (test/support/global-setup.ts) in a Node process of its own for the
 * "worker" project, whose global setup cannot load the servers itself: the Workers pool makes Vite
 * inline every dependency for workerd, which breaks Node-only packages such as ioredis.
 * Prints what the setup provides as one JSON line; tears the stack down when stdin closes (the
 * parent finished or died), so no server outlives the run.
 */
import type { ProvidedContext } from "vitest";
import setup from "../../support/global-setup";
import { startPushSink } from "./push-sink";

const provided: Partial<ProvidedContext> = {};
const recorder = {
  provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]) {
    provided[key] = value;
  },
};

const stopStack = await setup(recorder as unknown as Parameters<typeof setup>[0]);
const sink = await startPushSink();
recorder.provide("pushSinkUrl", sink.url);
process.stdout.write(`${JSON.stringify(provided)}\n`);

async function teardown(): Promise<void> {
  await sink.close();
  await stopStack();
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await teardown();
  process.exit(0);
}
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.resume();
