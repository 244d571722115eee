import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { startRedisServer, freePort } from "../redis-server";

const redis = await startRedisServer();
const port = await freePort();
const child = process.env.HELLO ? spawn("node", ["/tmp/rsbench/hello.mjs", String(port)], { stdio: ["ignore", "pipe", "inherit"] }) : spawn("node", [...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/rsbench"] : []), "--import", "tsx", "dev/rest-server/main.ts", "--redis-url", redis.url, "--token", "tok", "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((r) => child.stdout!.once("data", r));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function cpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10; // ms (CLK_TCK 100)
}
function req(path: string, body: string, b64: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { authorization: "Bearer tok", "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(b64 ? { "upstash-encoding": "base64" } : {}) } }, (res) => {
      res.resume(); res.on("end", resolve);
    });
    r.on("error", reject); r.end(body);
  });
}
async function run(label: string, path: string, body: string, n: number, b64: boolean) {
  let i = 0;
  const worker = async () => { while (i++ < n) await req(path, body, b64); };
  await Promise.all(Array.from({ length: 32 }, worker)); // warm
  i = 0;
  const c0 = cpu(child.pid!); const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, worker));
  const dt = performance.now() - t0; const dc = cpu(child.pid!) - c0;
  console.log(`${label}: ${(n / dt * 1000).toFixed(0)} req/s, server CPU ${(dc / n * 1000).toFixed(1)} µs/req`);
}
await req("/", JSON.stringify(["SET", "k", "x".repeat(100)]), false);
const N = Number(process.env.N ?? 20000);
await run("GET 100B base64", "/", JSON.stringify(["GET", "k"]), N, true);
await run("GET 100B plain", "/", JSON.stringify(["GET", "k"]), N, false);
await run("pipeline 10 GET base64", "/pipeline", JSON.stringify(Array.from({ length: 10 }, () => ["GET", "k"])), N / 2, true);
await run("multi-exec 10 GET", "/multi-exec", JSON.stringify(Array.from({ length: 10 }, () => ["GET", "k"])), N / 2, true);
await run("EVAL 100-arg", "/", JSON.stringify(["EVAL", "return #ARGV", 0, ...Array.from({ length: 100 }, (_, i) => "arg" + i)]), N / 2, false);
{
  const lat: number[] = []; const body = JSON.stringify(["GET", "k"]);
  for (let j = 0; j < 3000; j++) { const t = performance.now(); await req("/", body, true); lat.push(performance.now() - t); }
  lat.sort((a, b) => a - b);
  console.log(`sequential GET via REST: p50 ${(lat[1500]! * 1000).toFixed(0)} µs, p99 ${(lat[2970]! * 1000).toFixed(0)} µs`);
  const { Redis } = await import("ioredis"); const direct = new Redis(redis.url); const l2: number[] = [];
  for (let j = 0; j < 3000; j++) { const t = performance.now(); await direct.get("k"); l2.push(performance.now() - t); }
  l2.sort((a, b) => a - b); direct.disconnect();
  console.log(`sequential GET direct ioredis: p50 ${(l2[1500]! * 1000).toFixed(0)} µs, p99 ${(l2[2970]! * 1000).toFixed(0)} µs`);
}
child.kill("SIGINT"); await new Promise((r) => child.once("exit", r)); agent.destroy(); await redis.stop();
