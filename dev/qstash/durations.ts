import { QStashApiError } from "./types";

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a QStash duration ("10s", "5m", "1h30m", "2d", or bare seconds "10") into milliseconds.
 * Bad input is refused with a 400 naming the header, as QStash does, so nothing is stored.
 */
export function parseDuration(value: string, header: string): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const consumed = parts.map((part) => part[0]).join("");
  if (parts.length === 0 || consumed !== text) {
    throw new QStashApiError(400, `invalid ${header} header: ${JSON.stringify(value)} (expected a duration such as 10s, 5m, 2h, 1d)`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (unitMs[unit ?? "s"] ?? 1000), 0);
}

/** A non-negative integer header such as Upstash-Retries. */
export function parseCount(value: string, header: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text)) throw new QStashApiError(400, `invalid ${header} header: ${JSON.stringify(value)} (expected a non-negative integer)`);
  return Number(text);
}
