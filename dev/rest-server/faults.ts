/**
 * Fault injection for chaos tests: the ways a request to a REST API fails in production, on demand.
 * Off unless a test (or `--faults` on the command line) turns it on.
 *
 * - `error-before`: 503 and nothing runs (an overloaded or restarting front end);
 * - `error-after`: the commands run, then 500 (the client cannot tell the write happened);
 * - `drop-after`: the commands run, then the connection is cut before any answer;
 * - `timeout`: nothing runs and no answer comes; the connection is cut after a while.
 */
import type { RedisCommand } from "./commands";

export const FAULT_KINDS = ["error-before", "error-after", "drop-after", "timeout"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultTarget {
  method: string;
  /** The request path without the query: "/", "/pipeline", "/multi-exec" or a path-form command. */
  path: string;
}

/** Decides, request by request, which fault to inject; undefined serves the request normally. */
export type FaultInjector = (target: FaultTarget) => FaultKind | undefined;

export type FaultRates = Partial<Record<FaultKind, number>>;

/**
 * A fault chosen by the commands of a request once they ran (the request's whole answer): for a chaos run
 * that must see a given call lose its answer, which random rates make likely but not certain.
 */
export type PlannedFault = (command: RedisCommand) => "error-after" | "drop-after" | undefined;

/** Drops the answer of the first `count` commands that `matches` accepts, after they ran. */
export function lostAnswers(matches: (command: RedisCommand) => boolean, count: number): PlannedFault & { left(): number } {
  let left = count;
  const planned = (command: RedisCommand) => {
    if (left <= 0 || !matches(command)) return undefined;
    left--;
    return "drop-after" as const;
  };
  return Object.assign(planned, { left: () => left });
}

/** Injects each kind with its probability (their sum at most 1), drawing from `random`. */
export function randomFaults(rates: FaultRates, random: () => number = Math.random): FaultInjector {
  let total = 0;
  for (const kind of FAULT_KINDS) {
    const rate = rates[kind] ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate for ${kind} must be between 0 and 1, got ${rate}`);
    total += rate;
  }
  if (total > 1) throw new Error(`fault rates add up to ${total}, more than 1`);
  return () => {
    let draw = random();
    for (const kind of FAULT_KINDS) {
      draw -= rates[kind] ?? 0;
      if (draw < 0) return kind;
    }
    return undefined;
  };
}

/** `error-before=0.05,drop-after=0.02` → rates; a clear error for anything else. */
export function parseFaultRates(spec: string): FaultRates {
  const rates: FaultRates = {};
  for (const part of spec.split(",").filter((item) => item.trim() !== "")) {
    const [kind, value] = part.split("=").map((item) => item.trim());
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`unknown fault "${kind}"; known: ${FAULT_KINDS.join(", ")}`);
    const rate = Number(value);
    if (value === undefined || value === "" || !Number.isFinite(rate)) throw new Error(`fault "${kind}" needs a rate, e.g. ${kind}=0.05`);
    rates[kind as FaultKind] = rate;
  }
  return rates;
}

/** What the server counts, for benchmarks (requests per task) and chaos reports (faults injected). */
export interface RestServerStats {
  /** Authenticated requests, whatever their outcome. */
  requests: number;
  /** Redis commands sent on behalf of clients (MULTI/EXEC wrappers excluded). */
  commands: number;
  faults: Record<FaultKind, number>;
}

export function emptyStats(): RestServerStats {
  return { requests: 0, commands: 0, faults: { "error-before": 0, "error-after": 0, "drop-after": 0, timeout: 0 } };
}
