/**
 * The HTTP side of the REST server: routing, auth, body limits and status codes, following Upstash's
 * REST API (200 with `{result}`; 400 with `{error}` for a malformed, refused or failed command;
 * 401 for a missing or wrong token; 405 for other methods; 413 for an oversized body).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CommandError, commandFromJson, commandFromPath, commandsFromJson, refusal, type RedisCommand } from "./commands";
import type { FaultInjector, FaultKind, PlannedFault, RestServerStats } from "./faults";
import { BodyTooLarge, readBody } from "./limits";
import { TransactionAborted, type CommandRunner } from "./pool";
import { encodeEntries, encodeEntry, encodeError, isReplyError, type RawReply } from "./reply";
import type { CommandRateLimit } from "./command-rate";
import type { RecordSizeLimit } from "./record-size";
import type { ScriptFlags } from "./script-flags";
import { serveSubscription } from "./subscribe";
import type { SubscriptionHub } from "./subscription-hub";

export interface RequestContext {
  /** A RedisPool, or a ClusterPool that routes each command to the master serving its slot. */
  pool: CommandRunner;
  /** The one subscriber connection SSE streams share. */
  subscriptions: SubscriptionHub;
  checkToken: (authorization: string | undefined, queryToken: string | null) => boolean;
  maxBodyBytes: number;
  stats: RestServerStats;
  /** Upstash's script flags on a redis-server that lacks them (script-flags.ts). */
  scripts: ScriptFlags;
  recordSize: RecordSizeLimit;
  /** Off (undefined) unless the server was started with a cap. */
  commandRate: CommandRateLimit | undefined;
  /** Chaos switch, replaced at run time; undefined serves every request normally. */
  faults: { injector: FaultInjector | undefined; planned: PlannedFault | undefined; timeoutMs: number };
}

/** What to answer: a status and the JSON text, or nothing when a stream already answered. */
interface Answer {
  status: number;
  text: string;
  /** A planned fault the command that ran asked for (faults.planned). */
  fault?: FaultKind;
}

const UNAUTHORIZED = encodeError("WRONGPASS invalid or missing auth token");
const METHOD_NOT_ALLOWED = encodeError("ERR method not allowed: use GET, HEAD, POST or PUT");

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  response.end(body);
}

function statusOf(error: unknown): number {
  if (error instanceof BodyTooLarge) return 413;
  if (error instanceof CommandError || error instanceof TransactionAborted || isReplyError(error)) return 400;
  return 500;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new CommandError("ERR the request body is not valid JSON");
  }
}

const SCRIPT_RUNS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"]);

/** Under a commands-per-second cap, a script's inner calls are charged before its answer leaves. */
async function chargeScripts(context: RequestContext, commands: readonly RedisCommand[]): Promise<void> {
  if (context.commandRate && commands.some((command) => SCRIPT_RUNS.has(command.name))) await context.commandRate.poll().catch(() => {});
}

/** Why a command is not run: refused by the REST API, or a write to a key over the record-size limit. */
function refusedBy(context: RequestContext, command: RedisCommand): string | undefined {
  return refusal(command) ?? context.recordSize.refusal(command);
}

function assertAllowed(context: RequestContext, command: RedisCommand): void {
  const refused = refusedBy(context, command);
  if (refused !== undefined) throw new CommandError(refused);
}

async function runOne(context: RequestContext, command: RedisCommand, base64: boolean): Promise<string> {
  assertAllowed(context, command);
  context.stats.commands++;
  await context.commandRate?.admit(1);
  const reply = await context.pool.run(context.scripts.forward(command, context.recordSize.overLimit()));
  context.recordSize.ran([command]);
  await chargeScripts(context, [command]);
  return encodeEntry(context.scripts.reply(command, reply), base64);
}

/** Pipeline entries are independent: a refused command becomes an error entry, the others still run. */
async function runPipeline(context: RequestContext, commands: RedisCommand[], base64: boolean): Promise<string> {
  const refused = commands.map((command) => refusedBy(context, command));
  context.stats.commands += commands.length;
  const allowed = commands.filter((_, i) => refused[i] === undefined);
  await context.commandRate?.admit(allowed.length);
  const replies = allowed.length > 0 ? await context.pool.pipeline(allowed.map((c) => context.scripts.forward(c, context.recordSize.overLimit()))) : [];
  context.recordSize.ran(allowed);
  await chargeScripts(context, allowed);
  let next = 0;
  const merged: RawReply[] = refused.map((message) => {
    if (message !== undefined) return new Error(message);
    const i = next++;
    return context.scripts.reply(allowed[i]!, replies[i]);
  });
  return encodeEntries(merged, base64);
}

/** A transaction with a refused command is discarded as a whole, as Upstash documents. */
async function runTransaction(context: RequestContext, commands: RedisCommand[], base64: boolean): Promise<string> {
  commands.forEach((command) => assertAllowed(context, command));
  context.stats.commands += commands.length;
  await context.commandRate?.admit(commands.length);
  const replies = await context.pool.transaction(commands.map((c) => context.scripts.forward(c, context.recordSize.overLimit())));
  context.recordSize.ran(commands);
  await chargeScripts(context, commands);
  return encodeEntries(replies.map((reply, i) => context.scripts.reply(commands[i]!, reply)), base64);
}

async function route(context: RequestContext, request: IncomingMessage, response: ServerResponse, pathname: string, query: URLSearchParams | undefined): Promise<Answer | undefined> {
  const format = request.headers["upstash-response-format"];
  if (format !== undefined && format !== "json") {
    // Upstash also offers raw RESP2 bodies; ioredis has parsed the reply by now, so it is not reproduced.
    throw new CommandError(`ERR Upstash-Response-Format ${String(format)} is not supported by this server: use json`);
  }
  const encoding = request.headers["upstash-encoding"];
  const base64 = typeof encoding === "string" && encoding.toLowerCase() === "base64";
  const hasBody = request.method === "POST" || request.method === "PUT";
  const firstSegment = pathname.split("/", 2)[1]?.toLowerCase();
  if ((firstSegment === "subscribe" || firstSegment === "psubscribe") && request.headers.accept?.includes("text/event-stream")) {
    serveSubscription(context.subscriptions, request, response, firstSegment, pathname);
    return undefined;
  }
  const body = hasBody ? await readBody(request, context.maxBodyBytes) : undefined;
  if (pathname === "/" || pathname === "") {
    if (body === undefined) throw new CommandError("ERR send the command as a JSON array in a POST body, or in the path");
    const command = commandFromJson(parseJson(body));
    return { status: 200, text: await runOne(context, command, base64), fault: plannedFor(context, [command]) };
  }
  if (pathname === "/pipeline" && body !== undefined) {
    const commands = commandsFromJson(parseJson(body));
    return { status: 200, text: await runPipeline(context, commands, base64), fault: plannedFor(context, commands) };
  }
  if (pathname === "/multi-exec" && body !== undefined) {
    const commands = commandsFromJson(parseJson(body));
    return { status: 200, text: await runTransaction(context, commands, base64), fault: plannedFor(context, commands) };
  }
  const command = commandFromPath(pathname, query, body);
  return { status: 200, text: await runOne(context, command, base64), fault: plannedFor(context, [command]) };
}

/** The planned fault of a request that ran: the first its commands ask for (a pipeline's answer is one). */
function plannedFor(context: RequestContext, commands: readonly RedisCommand[]): FaultKind | undefined {
  const planned = context.faults.planned;
  if (!planned) return undefined;
  for (const command of commands) {
    const fault = planned(command);
    if (fault !== undefined) return fault;
  }
  return undefined;
}

function answerOf(error: unknown): Answer {
  return { status: statusOf(error), text: encodeError(error instanceof Error ? error.message : String(error)) };
}

/** Faults that strike before anything runs; true when the request is taken care of. */
function injectBefore(context: RequestContext, fault: FaultKind | undefined, response: ServerResponse): boolean {
  if (fault === "error-before") {
    send(response, 503, encodeError("ERR injected fault: service unavailable, nothing was run"));
    return true;
  }
  if (fault === "timeout") {
    setTimeout(() => response.destroy(), context.faults.timeoutMs).unref();
    return true;
  }
  return false;
}

/** Sends the answer, unless a fault after the commands ran replaces it. */
function deliver(response: ServerResponse, answer: Answer, fault: FaultKind | undefined): void {
  if (fault === "drop-after") response.destroy();
  else if (fault === "error-after") send(response, 500, encodeError("ERR injected fault: the commands ran but the answer was lost"));
  else send(response, answer.status, answer.text);
}

/** The request listener for node:http. */
export function createRequestHandler(context: RequestContext): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const method = request.method;
    if (method !== "POST" && method !== "GET" && method !== "PUT" && method !== "HEAD") {
      send(response, 405, METHOD_NOT_ALLOWED);
      return;
    }
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = queryAt === -1 ? undefined : new URLSearchParams(url.slice(queryAt + 1));
    if (!context.checkToken(request.headers.authorization, query?.get("_token") ?? null)) {
      send(response, 401, UNAUTHORIZED);
      return;
    }
    context.stats.requests++;
    const fault = context.faults.injector?.({ method, path: pathname });
    if (fault !== undefined) context.stats.faults[fault]++;
    if (injectBefore(context, fault, response)) return;
    route(context, request, response, pathname, query).then(
      (answer) => {
        if (!answer) return;
        if (fault === undefined && answer.fault !== undefined) context.stats.faults[answer.fault]++;
        deliver(response, answer, fault ?? answer.fault);
      },
      (error: unknown) => {
        if (response.headersSent) response.destroy();
        else deliver(response, answerOf(error), fault);
      },
    );
  };
}
