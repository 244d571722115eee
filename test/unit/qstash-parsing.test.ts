import { describe, expect, it } from "vitest";
import { parseDuration } from "../../dev/qstash/durations";
import { parseFlowControl } from "../../dev/qstash/flow-control";
import { checkDestination, isUrlDestination } from "../../dev/qstash/publish";
import { checkRetryDelay, retryAfterMs, retryDelayMs } from "../../dev/qstash/retry-delay";
import { nextTick } from "../../dev/qstash/schedules";

describe("QStash dev server: header parsing", () => {
  it("reads QStash durations and refuses anything else", () => {
    expect(parseDuration("10s", "Upstash-Delay")).toBe(10_000);
    expect(parseDuration("1h30m", "Upstash-Delay")).toBe(5_400_000);
    expect(parseDuration("2d", "Upstash-Delay")).toBe(172_800_000);
    expect(parseDuration("15", "Upstash-Timeout")).toBe(15_000);
    for (const bad of ["", "soon", "10x", "5m and more", "-3s"]) {
      expect(() => parseDuration(bad, "Upstash-Delay"), bad).toThrow(/invalid Upstash-Delay/);
    }
  });

  it("evaluates retry-delay expressions over `retried` and defaults to QStash's exponential backoff", () => {
    expect(retryDelayMs(0, "1000")).toBe(1000);
    expect(retryDelayMs(2, "1000 * (1 + retried)")).toBe(3000);
    expect(retryDelayMs(3, "pow(2, retried) * 1000")).toBe(8000);
    expect(retryDelayMs(1, "max(10, min(5, 2)) - -1")).toBe(11);
    expect(retryDelayMs(4, "floor(sqrt(retried) + abs(-0.5)) + ceil(0.2) + round(exp(0))")).toBe(4);
    expect(retryDelayMs(0, undefined)).toBe(Math.exp(2.5) * 1000);
    expect(retryDelayMs(10, undefined)).toBe(86_400_000);
    for (const bad of ["pow(2,", "retried +", "eval(1)", "1 1", "(1", "process.exit()"]) {
      expect(() => checkRetryDelay(bad), bad).toThrow(/invalid Upstash-Retry-Delay/);
    }
  });

  it("reads a destination's retry hint in seconds, durations or HTTP dates, up to a day", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(retryAfterMs({ "retry-after": ["10"] }, now)).toBe(10_000);
    expect(retryAfterMs({ "x-ratelimit-reset-requests": ["6m5s"] }, now)).toBe(365_000);
    expect(retryAfterMs({ "retry-after": ["Thu, 01 Jan 2026 12:00:30 GMT"] }, now)).toBe(30_000);
    expect(retryAfterMs({ "retry-after": ["0"] }, now)).toBe(0);
    expect(retryAfterMs({ "retry-after": ["172800"] }, now)).toBeUndefined();
    expect(retryAfterMs({ "retry-after": ["soon"] }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  it("reads flow-control values and refuses unknown or empty ones", () => {
    expect(parseFlowControl("k", "parallelism=2, rate=10, period=1m")).toEqual({ key: "k", parallelism: 2, rate: 10, period: 60 });
    expect(parseFlowControl("k", "rate=5")).toEqual({ key: "k", rate: 5 });
    expect(() => parseFlowControl("k", "period=1s")).toThrow(/needs parallelism or rate/);
    expect(() => parseFlowControl("k", "parallelism=0")).toThrow(/invalid/);
    expect(() => parseFlowControl("k", "burst=3")).toThrow(/invalid/);
    expect(() => parseFlowControl(" ", "rate=1")).toThrow(/must not be empty/);
  });

  it("takes destinations raw, repairs a collapsed scheme slash, decodes an encoded one, tells URL groups apart", () => {
    expect(checkDestination("http://h:1/p?q=a%20b")).toBe("http://h:1/p?q=a%20b");
    expect(checkDestination("https:/h/p")).toBe("https://h/p");
    expect(checkDestination("https%3A%2F%2Fh%2Fp")).toBe("https://h/p");
    expect(() => checkDestination("ftp://h/p")).toThrow(/expected an http\(s\) URL/);
    expect(isUrlDestination("https%3A%2F%2Fh")).toBe(true);
    expect(isUrlDestination("my-url-group")).toBe(false);
  });

  it("computes cron ticks with five fields, six with seconds, and CRON_TZ", () => {
    const from = Date.UTC(2026, 0, 1, 10, 0, 30);
    expect(nextTick("* * * * *", from)).toBe(Date.UTC(2026, 0, 1, 10, 1, 0));
    expect(nextTick("*/10 * * * * *", from)).toBe(Date.UTC(2026, 0, 1, 10, 0, 40));
    expect(nextTick("CRON_TZ=Asia/Tokyo 0 20 * * *", from)).toBe(Date.UTC(2026, 0, 1, 11, 0, 0));
    expect(() => nextTick("every minute", from)).toThrow(/invalid Upstash-Cron/);
  });
});
