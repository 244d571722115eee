/** The fold's arithmetic (runtime/jobs/plan.ts): what one round writes to each job. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseJobEvent } from "../../src/queue/jobs/codec";
import type { JobState } from "../../src/queue/jobs/types";
import { defineJob } from "../../src/runtime/job";
import { MAX_ACC_BYTES, planFold } from "../../src/runtime/jobs/plan";

const sum = defineJob({
  name: "sum",
  input: z.object({ n: z.int() }),
  split: ({ n }) => Array.from({ length: n }, (_, i) => i),
  map: (i: number) => i,
  initial: () => 0,
  reduce: (acc: number, part: number) => {
    if (part < 0) throw new Error("negative partial");
    return acc + part;
  },
  finalize: (acc, input) => ({ total: acc, n: input.n }),
});

const state = (over: Partial<JobState> = {}): JobState => ({
  id: "J", fn: "sum", queue: "q", status: "running", total: 4, done: 0, failed: 0, maxFailures: 0,
  createdAt: 1, finishedAt: null, input: { n: 4 }, acc: "0", ...over,
});
// task ids are `<jobId>-<index>`, as the splitter makes them
const jobOf = (task: string) => task.slice(0, task.lastIndexOf("-"));
const success = (task: string, result: unknown) => parseJobEvent(task, `${jobOf(task)}\n0\n${JSON.stringify(result)}`);
const death = (task: string, delta = 1) => parseJobEvent(task, `${jobOf(task)}\n${delta}`);
const plan = (events: ReturnType<typeof success>[], states: Record<string, JobState | null>) =>
  planFold(events, new Map(Object.entries(states)), (fn) => (fn === "sum" ? sum : undefined));

describe("planFold", () => {
  it("reduces the results into the accumulator and counts them done", () => {
    expect(plan([success("J-0", 5), success("J-1", 7)], { J: state({ acc: "1" }) })).toEqual([
      { jobId: "J", acc: "13", doneDelta: 2, failedDelta: 0, final: null },
    ]);
  });

  it("finishes the job with finalize(acc, input) once done + failed reach the total", () => {
    const [commit] = plan([success("J-3", 3)], { J: state({ done: 3, acc: "3" }) });
    expect(commit).toEqual({ jobId: "J", acc: "6", doneDelta: 1, failedDelta: 0, final: { status: "succeeded", text: '{"total":6,"n":4}' } });
  });

  it("fails the job when more tasks are dead than it tolerates, and tolerates up to maxFailures", () => {
    expect(plan([death("J-2")], { J: state() })[0]?.final).toEqual({ status: "failed", text: "1 map tasks failed; the job tolerates 0" });
    const tolerated = plan([death("J-2")], { J: state({ maxFailures: 1 }) })[0];
    expect(tolerated).toMatchObject({ failedDelta: 1, final: null, acc: null });
    const last = plan([success("J-3", 3)], { J: state({ maxFailures: 1, done: 2, failed: 1, acc: "1" }) })[0];
    expect(last?.final).toEqual({ status: "succeeded", text: '{"total":4,"n":4}' });
  });

  it("a task retried out of the dead set (-1) gives its failure back", () => {
    expect(plan([death("J-2", -1), success("J-1", 1)], { J: state({ failed: 1, maxFailures: 1 }) })[0]).toMatchObject({
      doneDelta: 1,
      failedDelta: -1,
    });
  });

  it("only removes the entries of jobs that are over or gone", () => {
    const commits = plan([success("A-0", 1), success("B-0", 1)], { A: state({ id: "A", status: "canceled" }), B: null });
    expect(commits).toEqual([
      { jobId: "A", acc: null, doneDelta: 0, failedDelta: 0, final: null },
      { jobId: "B", acc: null, doneDelta: 0, failedDelta: 0, final: null },
    ]);
  });

  it("a reduce that throws, an unknown job function or an oversized accumulator fail the job with the reason", () => {
    expect(plan([success("J-0", -1)], { J: state() })[0]?.final).toEqual({ status: "failed", text: "reduce failed: negative partial" });
    expect(plan([success("J-0", 1)], { J: state({ fn: "gone" }) })[0]?.final?.text).toMatch(/"gone" is not registered/);
    const big = JSON.stringify("x".repeat(MAX_ACC_BYTES));
    const concat = { ...sum, reduce: (acc: unknown, part: unknown) => String(acc) + String(part) };
    const [commit] = planFold([success("J-0", "y")], new Map([["J", state({ acc: big })]]), () => concat);
    expect(commit?.final?.text).toMatch(/accumulator grew past/);
  });

  it("groups a round's entries by job", () => {
    const commits = plan([success("A-0", 1), success("B-0", 2), success("A-1", 3)], {
      A: state({ id: "A", acc: "0" }),
      B: state({ id: "B", acc: "0" }),
    });
    expect(commits.map((c) => [c.jobId, c.acc, c.doneDelta])).toEqual([["A", "4", 2], ["B", "2", 1]]);
  });
});

describe("outbox entries", () => {
  it("parse as job id, failed delta and the result JSON kept as text", () => {
    expect(parseJobEvent("J-1", 'J\n-1\n{"a":"b\\nc"}')).toEqual({ taskId: "J-1", jobId: "J", failedDelta: -1, result: '{"a":"b\\nc"}', raw: 'J\n-1\n{"a":"b\\nc"}' });
    expect(parseJobEvent("J-2", "J\n1")).toMatchObject({ failedDelta: 1, result: null });
  });
});
