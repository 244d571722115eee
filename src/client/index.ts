import { blobClient } from "./blobs";
import { createTransport, type TransportOptions } from "./http";
import { readEvents } from "./sse";
import type {
  Canceled, EnqueuedTask, EnqueuedTasks, FlowKeyState, FlowPage, FunctionInfo, Job, JobEvent, JobStarted, QueueInfo, QueueSettingsPatch, QueueSummary, Schedule,
  ScheduleRequest, Task, TaskEvent, TaskRequest, UnavailableDatabase,
} from "./types";

export { EdgeqHttpError } from "./http";
export type * from "./types";

export type ClientOptions = TransportOptions;

const path = (strings: TemplateStringsArray, ...parts: (string | number)[]) =>
  strings.reduce((out, text, i) => out + text + (i < parts.length ? encodeURIComponent(String(parts[i])) : ""), "");

/** Pause before reopening an event stream the server ended (it sends `retry: 500`). */
const RECONNECT_MS = 500;

const waitQuery = (wait?: number) => (wait ? `?wait=${wait}` : "");

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A ULID-shaped id: 10 characters of the time, then 16 random. The server keeps tasks in partitions
 * that follow from their ids (README "The keys"), and an id of this shape puts the tasks sent in one
 * call, or close in time, in one partition (a random UUID would put each in its own).
 */
function timedId(now: number): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => CROCKFORD[b & 31]);
  const time = Array.from({ length: 10 }, (_, i) => CROCKFORD[Math.floor(now / 32 ** (9 - i)) % 32]);
  return [...time, ...random].join("");
}

/**
 * Typed client of the edgeq HTTP API, for Node, browsers and Workers.
 * Enqueues without an id get one here, so that a retried request cannot enqueue twice.
 */
export function createClient(options: ClientOptions) {
  const http = createTransport(options);
  const withId = (task: TaskRequest): TaskRequest => ({ ...task, id: task.id ?? timedId(Date.now()) });
  /**
   * The server ends each event stream after a while: this reconnects with Last-Event-ID, so no
   * state is repeated, until the `result` event arrives.
   */
  async function* followEvents<T>(url: string, signal?: AbortSignal): AsyncGenerator<{ event: string; data: T }> {
    let lastId: string | undefined;
    for (;;) {
      const response = await http.stream(url, signal, lastId ? { "last-event-id": lastId } : {});
      for await (const message of readEvents(response.body!)) {
        if (message.event === "reconnect") break;
        if (message.id) lastId = message.id;
        const event = { event: message.event, data: JSON.parse(message.data) as T };
        yield event;
        if (event.event === "result") return;
      }
      if (signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  return {
    /** Files in the deployment's R2 bucket: put, get (with ranges), list, delete, multipart uploads. */
    blobs: blobClient(options),
    enqueue(queue: string, task: TaskRequest): Promise<EnqueuedTask> {
      return http.request("POST", path`/v1/queues/${queue}/tasks`, withId(task));
    },
    enqueueMany(queue: string, tasks: TaskRequest[]): Promise<EnqueuedTasks> {
      return http.request("POST", path`/v1/queues/${queue}/tasks`, { tasks: tasks.map(withId) });
    },
    /** With `wait`, the server holds the request up to that many seconds until the task settles. */
    getTask(id: string, wait?: number): Promise<Task> {
      return http.request("GET", path`/v1/tasks/${id}` + waitQuery(wait));
    },
    cancelTask(id: string): Promise<Canceled> {
      return http.request("DELETE", path`/v1/tasks/${id}`);
    },
    startJob(fn: string, input: unknown, queue?: string): Promise<JobStarted> {
      return http.request("POST", "/v1/jobs", { fn, input, ...(queue ? { queue } : {}) }, { idempotent: false });
    },
    /** The most recent jobs, newest first. */
    listJobs(limit?: number): Promise<{ jobs: Job[] }> {
      return http.request("GET", `/v1/jobs${limit ? `?limit=${limit}` : ""}`);
    },
    getJob(id: string, wait?: number): Promise<Job> {
      return http.request("GET", path`/v1/jobs/${id}` + waitQuery(wait));
    },
    cancelJob(id: string): Promise<Canceled> {
      return http.request("DELETE", path`/v1/jobs/${id}`);
    },
    /**
     * Progress events of a job as they happen (`progress`), ending with `result` (the finished job).
     */
    jobEvents(id: string, signal?: AbortSignal): AsyncGenerator<JobEvent> {
      return followEvents<Job>(path`/v1/jobs/${id}/events`, signal);
    },
    /** A task's status and reported progress as they change (`progress`), ending with `result` (the final task). */
    taskEvents(id: string, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
      return followEvents<Task>(path`/v1/tasks/${id}/events`, signal);
    },
    /** Creates a schedule, or replaces the one with `schedule.id`. */
    createSchedule(schedule: ScheduleRequest): Promise<Schedule> {
      return http.request("POST", "/v1/schedules", schedule, { idempotent: schedule.id !== undefined });
    },
    listSchedules(): Promise<{ schedules: Schedule[] }> {
      return http.request("GET", "/v1/schedules");
    },
    getSchedule(id: string): Promise<Schedule> {
      return http.request("GET", path`/v1/schedules/${id}`);
    },
    deleteSchedule(id: string): Promise<Schedule> {
      return http.request("DELETE", path`/v1/schedules/${id}`);
    },
    pauseSchedule(id: string): Promise<Schedule> {
      return http.request("POST", path`/v1/schedules/${id}/pause`);
    },
    resumeSchedule(id: string): Promise<Schedule> {
      return http.request("POST", path`/v1/schedules/${id}/resume`);
    },
    listQueues(): Promise<{ queues: QueueInfo[]; unavailable?: UnavailableDatabase[] }> {
      return http.request("GET", "/v1/queues");
    },
    getQueue(queue: string): Promise<QueueInfo> {
      return http.request("GET", path`/v1/queues/${queue}`);
    },
    updateQueue(queue: string, settings: QueueSettingsPatch): Promise<QueueSummary> {
      return http.request("PATCH", path`/v1/queues/${queue}`, settings);
    },
    pauseQueue(queue: string): Promise<QueueSummary> {
      return http.request("POST", path`/v1/queues/${queue}/pause`);
    },
    resumeQueue(queue: string): Promise<QueueSummary> {
      return http.request("POST", path`/v1/queues/${queue}/resume`);
    },
    /** The queue's flow-control keys with tasks waiting, held or running, busiest first. */
    getFlow(queue: string, limit = 100): Promise<FlowPage> {
      return http.request("GET", path`/v1/queues/${queue}/flow` + `?limit=${limit}`);
    },
    getFlowKey(queue: string, key: string): Promise<FlowKeyState> {
      return http.request("GET", path`/v1/queues/${queue}/flow/${key}`);
    },
    listDead(queue: string): Promise<{ tasks: Task[] }> {
      return http.request("GET", path`/v1/queues/${queue}/dead`);
    },
    retryDead(queue: string, ids?: string[]): Promise<{ retried: number }> {
      return http.request("POST", path`/v1/queues/${queue}/dead/retry`, ids ? { ids } : {});
    },
    purgeDead(queue: string): Promise<{ purged: number }> {
      return http.request("DELETE", path`/v1/queues/${queue}/dead`);
    },
    listFunctions(): Promise<{ functions: FunctionInfo[] }> {
      return http.request("GET", "/v1/functions");
    },
    health(): Promise<{ status: string }> {
      return http.request("GET", "/health");
    },
  };
}

export type EdgeqClient = ReturnType<typeof createClient>;
