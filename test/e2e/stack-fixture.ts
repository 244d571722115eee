/** One local stack (the Worker processes and the servers behind them) for a test file, stopped after it. */
import { afterAll, beforeAll } from "vitest";
import { startStack, type Stack, type StackOptions } from "../../dev/stack";
import { queueName } from "../support/names";
import { createClient, type EdgeqClient, type Task } from "../../src/client/index";

export interface StackFixture {
  readonly stack: Stack;
  readonly client: EdgeqClient;
}

export function useStack(options: StackOptions = {}): StackFixture {
  let stack: Stack | undefined;
  let client: EdgeqClient | undefined;
  beforeAll(async () => {
    stack = await startStack({ quiet: true, ...options });
    client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the stack is not started (used outside a test?)");
    return value;
  };
  return {
    get stack() {
      return started(stack);
    },
    get client() {
      return started(client);
    },
  };
}

/** A fresh queue name per test. */
export const freshQueue = (label: string): string => queueName(`e2e-${label}`);

/** The tasks with these ids, read 25 at a time. */
export async function readTasks(client: EdgeqClient, ids: readonly string[]): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let i = 0; i < ids.length; i += 25) tasks.push(...(await Promise.all(ids.slice(i, i + 25).map((id) => client.getTask(id)))));
  return tasks;
}
