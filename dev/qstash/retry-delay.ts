import { QStashApiError } from "./types";

/**
 * QStash's retry backoff. Without Upstash-Retry-Delay it is min(86400, e^(2.5·n)) seconds after the
 * n-th failure; with it, an arithmetic expression in milliseconds over `retried` (0 on the first retry)
 * and pow, sqrt, abs, exp, floor, ceil, round, min, max. The expression is parsed here by hand rather
 * than eval'd: it comes from the publisher.
 */
export function retryDelayMs(retried: number, expression: string | undefined): number {
  if (expression === undefined) return Math.min(86_400, Math.exp(2.5 * (retried + 1))) * 1000;
  const value = evaluate(expression, retried);
  return Math.max(0, Math.min(value, 86_400_000));
}

/** Refuses an expression that does not parse, at publish time, so a bad one is never stored. */
export function checkRetryDelay(expression: string): void {
  try {
    evaluate(expression, 0);
  } catch (error) {
    throw new QStashApiError(400, `invalid Upstash-Retry-Delay header: ${(error as Error).message}`);
  }
}

const hintHeaders = ["retry-after", "x-ratelimit-reset", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"];
const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * When the destination says when to retry: Retry-After or an X-RateLimit-Reset* header, in seconds, an
 * HTTP date, or a duration ("6m5s"). QStash honours it up to a day and falls back to its backoff beyond.
 */
export function retryAfterMs(header: Record<string, string[]> | undefined, now: number): number | undefined {
  for (const name of hintHeaders) {
    const value = header?.[name]?.[0]?.trim();
    if (!value) continue;
    let ms: number | undefined;
    if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
    else if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
      ms = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((sum, [, amount, unit]) => sum + Number(amount) * (durationUnits[unit ?? "s"] ?? 0), 0);
    } else if (/[a-z]/i.test(value) && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - now;
    if (ms === undefined) continue;
    return ms <= 86_400_000 ? Math.max(0, ms) : undefined;
  }
  return undefined;
}

const functions: Record<string, (...args: number[]) => number> = {
  pow: Math.pow, sqrt: Math.sqrt, abs: Math.abs, exp: Math.exp, floor: Math.floor,
  ceil: Math.ceil, round: Math.round, min: Math.min, max: Math.max,
};

function evaluate(expression: string, retried: number): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_]+|[-+*/%(),]|\S/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`expected ${expected ?? "a value"} at token ${position} of ${JSON.stringify(expression)}`);
    }
    return token;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === "+" || peek() === "-") value = take() === "+" ? value + product() : value - product();
    return value;
  };
  const product = (): number => {
    let value = unary();
    while (peek() === "*" || peek() === "/" || peek() === "%") {
      const operator = take();
      const right = unary();
      value = operator === "*" ? value * right : operator === "/" ? value / right : value % right;
    }
    return value;
  };
  const unary = (): number => {
    if (peek() !== "-" && peek() !== "+") return primary();
    const sign = take() === "-" ? -1 : 1;
    return sign * unary();
  };
  const primary = (): number => {
    const token = take();
    if (token === "(") {
      const value = sum();
      take(")");
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token === "retried") return retried;
    const fn = functions[token];
    if (!fn) throw new Error(`unknown name ${JSON.stringify(token)} in ${JSON.stringify(expression)}`);
    take("(");
    const args = [sum()];
    while (peek() === ",") {
      take(",");
      args.push(sum());
    }
    take(")");
    return fn(...args);
  };
  const value = sum();
  if (position !== tokens.length) throw new Error(`unexpected ${JSON.stringify(peek())} in ${JSON.stringify(expression)}`);
  if (!Number.isFinite(value)) throw new Error(`${JSON.stringify(expression)} is not a finite number`);
  return value;
}
