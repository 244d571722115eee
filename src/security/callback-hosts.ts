/**
 * Which hosts a completion callback may reach. Without a check, any token that may enqueue could
 * make the Worker (through QStash) POST to any URL. EDGEQ_CALLBACK_HOSTS lists the hosts allowed,
 * separated by commas: exact names ("hooks.example.com") or a wildcard for subdomains
 * ("*.example.com"). Unset, only loopback is allowed: the local stack's receivers, nothing else.
 */
import { ErrorCode, ValidationError } from "../queue/errors";
import type { CallbackTarget } from "../queue/callbacks";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const MAX_HEADERS = 10;
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]{0,1024}$/;

function hostAllowed(host: string, allowList: string | undefined): boolean {
  const entries = (allowList ?? "").split(",").map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  if (entries.length === 0) return LOOPBACK.has(host);
  return entries.some((entry) => (entry.startsWith("*.") ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry));
}

/** The target as it will be stored, or a ValidationError naming `<field>.url` or `<field>.headers…`. */
export function checkCallback(target: CallbackTarget, allowList: string | undefined, field = "callback"): CallbackTarget {
  const urlField = field ? `${field}.url` : "url";
  const headersField = field ? `${field}.headers` : "headers";
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new ValidationError(ErrorCode.InvalidArgument, urlField, "is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ValidationError(ErrorCode.InvalidArgument, urlField, "must be http or https");
  if (url.username || url.password) throw new ValidationError(ErrorCode.InvalidArgument, urlField, "must not carry credentials (send them in headers)");
  if (!hostAllowed(url.hostname.toLowerCase(), allowList)) {
    const rule = allowList?.trim() ? `EDGEQ_CALLBACK_HOSTS (${allowList})` : "loopback only, as EDGEQ_CALLBACK_HOSTS is unset";
    throw new ValidationError(ErrorCode.InvalidArgument, urlField, `host ${url.hostname} is not allowed: ${rule}`);
  }
  const headers = Object.entries(target.headers ?? {});
  if (headers.length > MAX_HEADERS) throw new ValidationError(ErrorCode.InvalidArgument, headersField, `at most ${MAX_HEADERS} headers`);
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name) || name.toLowerCase().startsWith("upstash-") || !HEADER_VALUE.test(value)) {
      throw new ValidationError(ErrorCode.InvalidArgument, `${headersField}.${name}`, "names are 1-64 letters, digits and dashes (not Upstash-*); values printable ASCII up to 1,024 characters");
    }
  }
  return headers.length > 0 ? { url: url.href, headers: Object.fromEntries(headers) } : { url: url.href };
}
