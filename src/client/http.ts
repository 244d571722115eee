import type { Problem } from "./types";

export interface TransportOptions {
  /** Base URL of an edgeq deployment, e.g. https://edgeq.example.workers.dev */
  url: string;
  token: string;
  /** Retries of idempotent requests on network errors, 429 and 5xx. Default 3. */
  retries?: number;
  fetch?: typeof fetch;
}

/** An answer of the API that was not 2xx; carries the problem+json body. */
export class EdgeqHttpError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    const fields = problem.errors?.map((e) => `${e.field}: ${e.message}`).join("; ");
    super(`${status} ${problem.title ?? "error"}${problem.detail ? `: ${problem.detail}` : ""}${fields ? ` (${fields})` : ""}`);
    this.name = "EdgeqHttpError";
  }
}

/** A problem for an answer that carries none (a HEAD, a proxy's error page): RFC 9457's "about:blank". */
export const bareProblem = (status: number, title: string, detail = ""): Problem => ({ type: "about:blank", status, title, detail });

/** The error for a non-2xx answer, from its problem+json body. */
export async function failure(response: Response): Promise<EdgeqHttpError> {
  const text = await response.text();
  let problem = bareProblem(response.status, response.statusText, text.slice(0, 500));
  try {
    problem = { ...problem, ...(JSON.parse(text) as Problem) };
  } catch {
    // not problem+json (a proxy's error page): keep the text as detail
  }
  return new EdgeqHttpError(response.status, problem);
}

const retryableStatus = (status: number) => status === 429 || status >= 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Transport {
  request<T>(method: string, path: string, body?: unknown, options?: { idempotent?: boolean; signal?: AbortSignal }): Promise<T>;
  stream(path: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<Response>;
}

export function createTransport(options: TransportOptions): Transport {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const headers = (json: boolean): Record<string, string> => ({
    authorization: `Bearer ${options.token}`,
    ...(json ? { "content-type": "application/json" } : {}),
  });

  async function send(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    return doFetch(`${base}${path}`, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  }

  return {
    async request<T>(method: string, path: string, body?: unknown, opts: { idempotent?: boolean; signal?: AbortSignal } = {}) {
      // Only idempotent requests are retried: a retried enqueue carries caller-given ids, so the
      // server returns the first attempt's tasks instead of creating new ones.
      const attempts = opts.idempotent === false ? 1 : retries + 1;
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await send(method, path, body, opts.signal);
          // The body is read inside the retry: a server dying while it answers ends the stream
          // ("TypeError: terminated"), and an idempotent request is as safe to repeat then as before.
          if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
          if (attempt >= attempts || !retryableStatus(response.status)) throw await failure(response);
          await response.body?.cancel();
        } catch (error) {
          if (error instanceof EdgeqHttpError || attempt >= attempts || opts.signal?.aborted) throw error;
        }
        await sleep(Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      }
    },
    async stream(path, signal, extra = {}) {
      const response = await doFetch(`${base}${path}`, { headers: { ...headers(false), accept: "text/event-stream", ...extra }, signal });
      if (!response.ok) throw await failure(response);
      return response;
    },
  };
}
