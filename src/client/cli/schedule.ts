import type { EdgeqClient } from "../index";

export const scheduleUsage = `  edgeq schedule list | schedule get <id>
  edgeq schedule create <cron> <fn> [--input JSON] [--queue NAME] [--timezone ZONE] [--id ID]
  edgeq schedule pause <id> | schedule resume <id> | schedule delete <id>`;

export interface ScheduleOptions {
  input: unknown;
  queue?: string;
  timezone?: string;
  id?: string;
}

/** `edgeq schedule …`: what it prints. */
export async function scheduleCommand(client: EdgeqClient, args: string[], options: ScheduleOptions): Promise<unknown> {
  const [sub, first, second] = args;
  const need = (value: string | undefined, name: string) => {
    if (!value) throw new Error(`missing <${name}>\n\n${scheduleUsage}`);
    return value;
  };
  switch (sub) {
    case "list":
      return client.listSchedules();
    case "get":
      return client.getSchedule(need(first, "id"));
    case "create":
      return client.createSchedule({
        cron: need(first, "cron"),
        fn: need(second, "fn"),
        input: options.input,
        ...(options.queue ? { queue: options.queue } : {}),
        ...(options.timezone ? { timezone: options.timezone } : {}),
        ...(options.id ? { id: options.id } : {}),
      });
    case "pause":
      return client.pauseSchedule(need(first, "id"));
    case "resume":
      return client.resumeSchedule(need(first, "id"));
    case "delete":
      return client.deleteSchedule(need(first, "id"));
    default:
      throw new Error(`unknown schedule command ${sub ?? ""}\n\n${scheduleUsage}`);
  }
}
