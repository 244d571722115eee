/**
 * A task's flow-control setting (as QStash's `flowControl`): a key, and at most `parallelism` tasks of
 * that key running at once and `rate` started per `periodMs`. It travels in the task record's head
 * (HeadField.Flow) as `<parallelism>,<rate>,<periodMs>,<escaped key>`, so that every script that
 * requeues a task (retry, lease expiry, dead retry) knows its key without a key of its own per task.
 */
import { escapeField, unescapeField } from "../codec";
import type { FlowControl } from "../types";
import { invalid } from "../validate";

export const MAX_FLOW_KEY_CHARS = 128;
export const DEFAULT_FLOW_PERIOD_MS = 1_000;
export const MAX_FLOW_PERIOD_MS = 3_600_000;
export const MAX_FLOW_PARALLELISM = 100_000;
/** A rate is enforced with an exact log of starts (pieces/flow.ts); bounding it bounds that log. */
export const MAX_FLOW_RATE = 10_000;

function limit(value: unknown, field: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) invalid(field, `must be an integer in [1, ${max}]`);
  return value;
}

/** Checks a flowControl setting, naming the field at fault; returns it normalized (period filled in). */
export function validateFlowControl(value: unknown, at: string): Required<Pick<FlowControl, "key" | "periodMs">> & FlowControl {
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(at, "must be an object {key, parallelism?, rate?, period?}");
  const flow = value as Record<string, unknown>;
  for (const name of Object.keys(flow)) {
    if (!["key", "parallelism", "rate", "periodMs"].includes(name)) invalid(`${at}.${name}`, "is not a flowControl field");
  }
  const { key } = flow;
  if (typeof key !== "string" || key.length < 1 || key.length > MAX_FLOW_KEY_CHARS) invalid(`${at}.key`, `must be a string of 1 to ${MAX_FLOW_KEY_CHARS} characters`);
  const parallelism = limit(flow.parallelism, `${at}.parallelism`, MAX_FLOW_PARALLELISM);
  const rate = limit(flow.rate, `${at}.rate`, MAX_FLOW_RATE);
  const periodMs = limit(flow.periodMs, `${at}.period`, MAX_FLOW_PERIOD_MS) ?? DEFAULT_FLOW_PERIOD_MS;
  if (parallelism === undefined && rate === undefined) invalid(`${at}.parallelism`, "give parallelism or rate (or both)");
  return { key, periodMs, ...(parallelism === undefined ? {} : { parallelism }), ...(rate === undefined ? {} : { rate }) };
}

/** The record head field (HeadField.Flow) of a validated setting. */
export function packFlowControl(flow: FlowControl): string {
  return `${flow.parallelism ?? ""},${flow.rate ?? ""},${flow.periodMs ?? DEFAULT_FLOW_PERIOD_MS},${escapeField(flow.key)}`;
}

export function unpackFlowControl(field: string): FlowControl | null {
  const match = /^(\d*),(\d*),(\d*),(.+)$/.exec(field);
  if (!match) return null;
  const [, parallelism, rate, period, key] = match as unknown as [string, string, string, string, string];
  return {
    key: unescapeField(key),
    ...(parallelism === "" ? {} : { parallelism: Number(parallelism) }),
    ...(rate === "" ? {} : { rate: Number(rate) }),
    periodMs: Number(period) || DEFAULT_FLOW_PERIOD_MS,
  };
}
