import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { lostAnswers, parseFaultRates, randomFaults, type FaultKind } from "../../dev/rest-server/faults";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { deleteKeysWithPrefix, randomPrefix, restRedis, testRedis } from "../support/redis-client";

const prefix = randomPrefix("rest-faults");
const key = (label: string) => `${prefix}${label}`;
const direct = testRedis();

// A server of its own (on the shared redis-server) so injected faults hit no other test file.
let server: RestServer;
let nextFault: FaultKind | undefined;
const takeNextFault = () => {
  const fault = nextFault;
  nextFault = undefined;
  return fault;
};
beforeAll(async () => {
  server = await startRestServer({ redisUrl: `redis://127.0.0.1:${inject("redisPort")}`, token: "chaos", faultTimeoutMs: 150, poolSize: 1 });
  server.setFaults(takeNextFault);
});
afterAll(async () => {
  await server.close();
  await deleteKeysWithPrefix(prefix);
});

const setWithFault = (fault: FaultKind | undefined, label: string) => {
  nextFault = fault;
  return fetch(server.url, { method: "POST", headers: { authorization: "Bearer chaos" }, body: JSON.stringify(["SET", key(label), "written"]) });
};

describe("REST server fault injection", () => {
  it("error-before answers 503 and runs nothing", async () => {
    const response = await setWithFault("error-before", "before");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/nothing was run/) });
    expect(await direct.get(key("before"))).toBeNull();
  });

  it("error-after answers 500 although the command ran", async () => {
    const response = await setWithFault("error-after", "after");
    expect(response.status).toBe(500);
    expect(await direct.get(key("after"))).toBe("written");
  });

  it("drop-after cuts the connection after the command ran", async () => {
    await expect(setWithFault("drop-after", "dropped")).rejects.toThrow();
    expect(await direct.get(key("dropped"))).toBe("written");
  });

  it("timeout holds the request without running it, then cuts the connection", async () => {
    await expect(setWithFault("timeout", "stalled")).rejects.toThrow();
    expect(await direct.get(key("stalled"))).toBeNull();
  });

  it("the real client sees each fault as an error and works again once faults stop", async () => {
    const client = restRedis(server.url, "chaos", { retry: false });
    nextFault = "error-after";
    await expect(client.incr(key("counter"))).rejects.toThrow(/injected fault/);
    expect(await client.incr(key("counter"))).toBe(2);
  });

  it("a planned fault loses the answer of the commands it matches once they ran, so the client's resend runs them again", async () => {
    const lost = lostAnswers((command) => command.name === "INCR" && String(command.args[0]) === key("planned"), 1);
    server.setFaults(takeNextFault, lost);
    try {
      const before = server.stats().faults["drop-after"];
      // the default client sends again after a lost connection, as the Worker's does
      const client = restRedis(server.url, "chaos");
      expect(await client.incr(key("other"))).toBe(1);
      expect(await client.incr(key("planned"))).toBe(2);
      expect(await client.incr(key("planned"))).toBe(3);
      expect(lost.left()).toBe(0);
      expect(server.stats().faults["drop-after"] - before).toBe(1);
    } finally {
      server.setFaults(takeNextFault);
    }
  });

  it("counts requests, commands and faults", async () => {
    const before = server.stats();
    const pipeline = await fetch(`${server.url}/pipeline`, { method: "POST", headers: { authorization: "Bearer chaos" }, body: JSON.stringify([["PING"], ["PING"], ["PING"]]) });
    expect(pipeline.status).toBe(200);
    await setWithFault("error-before", "counted");
    const after = server.stats();
    expect(after.requests - before.requests).toBe(2);
    expect(after.commands - before.commands).toBe(3);
    expect(after.faults["error-before"] - before.faults["error-before"]).toBe(1);
    expect(after.faults).toMatchObject({ "error-after": expect.any(Number), "drop-after": expect.any(Number), timeout: expect.any(Number) });
  });
});

describe("fault rates", () => {
  it("draws each kind with its probability", () => {
    const draws = [0.01, 0.06, 0.11, 0.5, 0.99];
    const decide = randomFaults({ "error-before": 0.05, "drop-after": 0.05, timeout: 0.05 }, () => draws.shift()!);
    const target = { method: "POST", path: "/" };
    expect(Array.from({ length: 5 }, () => decide(target))).toEqual(["error-before", "drop-after", "timeout", undefined, undefined]);
  });

  it("parses a command-line spec and refuses bad ones", () => {
    expect(parseFaultRates("error-before=0.05, drop-after=0.1")).toEqual({ "error-before": 0.05, "drop-after": 0.1 });
    expect(() => parseFaultRates("explode=0.1")).toThrow(/unknown fault "explode"/);
    expect(() => parseFaultRates("timeout")).toThrow(/needs a rate/);
    expect(() => randomFaults({ timeout: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => randomFaults({ timeout: 0.6, "error-after": 0.6 })).toThrow(/more than 1/);
  });
});
