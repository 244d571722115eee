/**
 * The in-isolate done notices (queue/done-notices.ts): bounded, emptied on answer and on removal,
 * keyed by deployment prefix and task id, and an announcement nobody waits for stores nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { announceDone, announceSettled, awaitDone, MAX_NOTICE_WAITERS, noticeWaiters } from "../../src/queue/done-notices";

afterEach(() => expect(noticeWaiters()).toBe(0));

describe("done notices", () => {
  it("hands a finished id's waiters its record once, and forgets them", () => {
    const heard: (string | undefined)[] = [];
    awaitDone("p", "q~a", (record) => heard.push(record));
    awaitDone("p", "q~a", (record) => heard.push(record));
    awaitDone("other", "q~a", () => heard.push("wrong deployment"));
    const removeB = awaitDone("p", "q~b", (record) => heard.push(record))!;
    expect(announceSettled("p", "q", ["a", "b", "c"], '{"a":"s|rec-a"}')).toBe(3);
    expect(heard).toEqual(["s|rec-a", "s|rec-a", undefined]);
    expect(announceDone("p", ["q~a", "q~b"], new Map())).toBe(0);
    removeB(); // answered already: nothing to remove, the count stays right
    expect(noticeWaiters()).toBe(1);
    expect(announceSettled("other", "q", ["a"], "")).toBe(1);
  });

  it("stores nothing for ids nobody waits for, and a removed waiter is not handed a notice", () => {
    const remove = awaitDone("p", "q~x", () => expect.unreachable("removed"))!;
    remove();
    remove();
    expect(announceSettled("p", "q", ["x", "y"], "not json")).toBe(0);
  });

  it("hands the other waiters their notice when one throws, and never throws itself", () => {
    const heard: string[] = [];
    awaitDone("p", "q~a", () => {
      throw new Error("Cannot perform I/O on behalf of a different Durable Object");
    });
    awaitDone("p", "q~a", () => heard.push("second"));
    expect(announceSettled("p", "q", ["a"], "")).toBe(1);
    expect(heard).toEqual(["second"]);
  });

  it("registers at most MAX_NOTICE_WAITERS; past that a waiter is left to the channel", () => {
    const removes = Array.from({ length: MAX_NOTICE_WAITERS }, (_, i) => awaitDone("p", `q~${i}`, () => {}));
    expect(noticeWaiters()).toBe(MAX_NOTICE_WAITERS);
    expect(awaitDone("p", "q~one-more", () => {})).toBeUndefined();
    for (const remove of removes) remove!();
  });
});
