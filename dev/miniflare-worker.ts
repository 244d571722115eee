/**
 * One Worker process on Miniflare's API: workerd running the bundle that `wrangler deploy` builds
 * (`wrangler deploy --dry-run --outdir`), without wrangler dev's proxy and file watcher in front of
 * it. Run as a child process (dev/worker-process.ts), so that it can be killed like a crash and
 * holds a core of its own.
 *
 * `--port` serves the Worker on a socket of its own (Miniflare's `unsafeDirectSockets`), not
 * through Miniflare's entry worker: that hop is a second Worker invocation per request, three
 * quarters of workerd's CPU for a bare fetch handler (0.30 → 0.08 ms a request, bench/harness-hop.ts).
 * The entry worker still listens, on a port of its own choosing, for what only it serves: the cron
 * stand-in's `/cdn-cgi/handler/scheduled` (Miniflare's trigger path; wrangler dev's is
 * `/__scheduled`). The process prints "ready on <url> triggers on <url>" once both listen.
 * Subrequests (to the REST and QStash servers) skip Miniflare's worker that strips CF-Connecting-IP,
 * one more Worker hop each (a request with one subrequest: 0.39 → 0.21 ms): edgeq never sets that
 * header on a subrequest, and the direct socket's requests do not carry it.
 *
 *   node --import tsx dev/miniflare-worker.ts --bundle DIR --port N --env-file FILE --persist-to DIR [--inspector-port N]
 *
 * With --inspector-port, workerd serves the DevTools protocol there (bench/profile.ts takes CPU
 * profiles through it); off by default, so that nothing listens that a run does not use.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";

const { values } = parseArgs({
  options: {
    bundle: { type: "string" },
    port: { type: "string" },
    "env-file": { type: "string" },
    "persist-to": { type: "string" },
    "inspector-port": { type: "string" },
  },
});

/** KEY=VALUE lines, as wrangler reads .dev.vars. */
function readVars(path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0 && !line.startsWith("#")) vars[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return vars;
}

/** compatibility_date, compatibility_flags and [vars] of wrangler.toml (the few this project uses). */
function wranglerConfig(): { date: string; flags: string[]; vars: Record<string, string>; r2: Record<string, string> } {
  const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? "2026-04-20";
  const flags = [.../^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1]?.matchAll(/"([^"]+)"/g) ?? []].map((m) => m[1]!);
  const vars: Record<string, string> = {};
  const section = /^\[vars\]\n([\s\S]*?)(?:^\[|$(?![\s\S]))/m.exec(toml)?.[1] ?? "";
  for (const match of section.matchAll(/^([A-Z_][A-Z0-9_]*)\s*=\s*"([^"]*)"/gm)) vars[match[1]!] = match[2]!;
  const r2: Record<string, string> = {};
  for (const block of toml.split("[[r2_buckets]]").slice(1)) {
    const binding = /^binding\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const bucket = /^bucket_name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (binding && bucket) r2[binding] = bucket;
  }
  return { date, flags, vars, r2 };
}

const config = wranglerConfig();
const port = Number(values.port);
const mf = new Miniflare({
  name: "edgeq",
  // The bundle as one module, listed: Miniflare's own import scan refuses the bundle's dynamic import().
  modules: [{ type: "ESModule", path: "index.js", contents: readFileSync(join(values.bundle!, "index.js"), "utf8") }],
  compatibilityDate: config.date,
  compatibilityFlags: config.flags,
  bindings: { ...config.vars, ...readVars(values["env-file"]!) },
  host: "127.0.0.1",
  port: 0,
  unsafeDirectSockets: [{ host: "127.0.0.1", port }],
  stripCfConnectingIp: false,
  unsafeTriggerHandlers: true,
  // wrangler.toml's R2 buckets, on disk under the stack's state directory (shared by its processes)
  r2Buckets: config.r2,
  r2Persist: join(values["persist-to"]!, "r2"),
  defaultPersistRoot: values["persist-to"],
  ...(values["inspector-port"] ? { inspectorPort: Number(values["inspector-port"]) } : {}),
});
const triggers = await mf.ready;
const url = await mf.unsafeGetDirectURL();

process.stdout.write(`ready on ${url.origin} triggers on ${triggers.origin}\n`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
