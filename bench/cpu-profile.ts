/**
 * V8 CPU profiles of the stack's processes, summed into where the time went: this Node process
 * (the REST server, the QStash dev server and the balancer run in it) through node:inspector, and
 * each Worker's workerd through its DevTools port (Miniflare's `inspectorPort`). Samples are
 * charged by self time to the module their function comes from: a file of this project, a package,
 * a Node internal, or, in the Worker's one-file bundle, the module esbuild's `// path` comment
 * names above that line.
 */
import { readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";
import { WebSocket } from "undici";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled milliseconds, idle excluded. */
  busyMs: number;
  /** Self time by module, largest first (ms). */
  modules: { module: string; ms: number }[];
  /** Self time by function, largest first (ms). */
  functions: { fn: string; module: string; ms: number }[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SAMPLING_US = 200;

/** Module names for the lines of a bundle: the `// path` comment esbuild writes above each module. */
export function bundleModules(bundlePath: string): (line: number) => string {
  const starts: { line: number; module: string }[] = [];
  readFileSync(bundlePath, "utf8").split("\n").forEach((text, line) => {
    const match = /^\/\/ ((?:node_modules|src|functions)\/\S+)$/.exec(text);
    if (match) starts.push({ line, module: match[1]! });
  });
  return (line) => {
    let found = "(bundle preamble)";
    for (const start of starts) {
      if (start.line > line) break;
      found = start.module;
    }
    return found;
  };
}

/** A package, a project folder (dev/rest-server), a Node internal (node:http), or a V8 pseudo-frame. */
function moduleOf(frame: CallFrame, bundle?: (line: number) => string): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (bundle && /index\.js$/.test(url) && !url.includes("node_modules")) return shorten(bundle(frame.lineNumber));
  if (url.startsWith("node:")) return url.replace(/^node:internal\//, "node:").split("/").slice(0, 2).join("/");
  const path = url.replace(/^file:\/\//, "").replace(ROOT, "");
  return shorten(path);
}

/** node_modules/@scope/pkg/… → @scope/pkg; src/http/routes/x.ts → src/http/routes/x.ts. */
function shorten(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at === -1) return path;
  const parts = path.slice(at + "node_modules/".length).split("/");
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

export function summarize(profile: Profile, bundle?: (line: number) => string, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const modules = new Map<string, number>();
  const functions = new Map<string, { fn: string; module: string; ms: number }>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    const module = moduleOf(frame, bundle);
    const ms = us / 1000;
    busy += ms;
    modules.set(module, (modules.get(module) ?? 0) + ms);
    const key = `${frame.functionName || "(anonymous)"} ${module}:${frame.lineNumber + 1}`;
    const entry = functions.get(key) ?? { fn: `${frame.functionName || "(anonymous)"}:${frame.lineNumber + 1}`, module, ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    busyMs: round(busy),
    modules: [...modules].map(([module, ms]) => ({ module, ms: round(ms) })).sort((a, b) => b.ms - a.ms).slice(0, top),
    functions: [...functions.values()].map((f) => ({ ...f, ms: round(f.ms) })).sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

/** Profiles this process from now until the returned function is called. */
export async function profileThisProcess(): Promise<() => Promise<Profile>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    return profile as unknown as Profile;
  };
}

/** A DevTools protocol client over a WebSocket: one call at a time is all this needs. */
async function devtools(url: string): Promise<{ call(method: string, params?: object): Promise<unknown>; close(): void }> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`no DevTools connection at ${url}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Profiles a Worker's workerd (the edgeq script) through its inspector port until the returned function is called. */
export async function profileWorker(inspectorPort: number): Promise<() => Promise<Profile>> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { id: string; webSocketDebuggerUrl?: string }[];
  const target = targets.find((t) => t.id.includes("edgeq")) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`workerd's inspector on ${inspectorPort} lists no script`);
  const client = await devtools(target.webSocketDebuggerUrl);
  await client.call("Profiler.enable");
  await client.call("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  await client.call("Profiler.start");
  return async () => {
    const { profile } = (await client.call("Profiler.stop")) as { profile: Profile };
    client.close();
    return profile;
  };
}
