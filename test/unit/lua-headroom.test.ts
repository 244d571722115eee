/**
 * Room left under Lua 5.1's limits in every script, measured by Redis's own Lua parser (SCRIPT LOAD
 * through the REST server, which adds its key-locking guard as it does for every script): a main
 * function holds at most 200 locals at once, and a function reads at most 60 upvalues. Past either,
 * the script no longer loads, and every call of it fails in production ("main function has more than
 * 200 local variables"); here the next piece that eats the room fails first, with the figures.
 * The composed scripts run their body as a function of its own (compose.ts BODY_OPEN): the pieces'
 * locals fill the main chunk, the body reads them as upvalues.
 */
import { describe, expect, it } from "vitest";
import { BODY_OPEN, type ComposedScript } from "../../src/queue/scripts/compose";
import { luaPiece } from "../../src/queue/scripts/pieces/index";
import { defineQueueScript } from "../../src/queue/scripts/queue-script";
import type { LuaScript } from "../../src/queue/scripts/runner";
import { OTHER_SCRIPTS, QUEUE_SCRIPTS } from "../support/lua-scripts";
import { testRedis } from "../support/redis-client";

/** What each script must keep free, so that a piece or two more never breaks every call. */
const SPARE_LOCALS = 20;
const SPARE_UPVALUES = 10;

const redis = testRedis();

async function loads(source: string): Promise<boolean> {
  try {
    await redis.scriptLoad(source);
    return true;
  } catch (error) {
    // only the limit under test counts as "does not fit"; any other error is the script's own
    const message = String(error);
    if (/more than (200 local variables|60 upvalues)/.test(message)) return false;
    throw error;
  }
}

/** The largest n in [0, max] for which `grown(n)` loads (-1: not even n = 0), by bisection. */
async function largestLoading(grown: (n: number) => string, max: number): Promise<number> {
  if (!(await loads(grown(0)))) return -1;
  let fits = 0, fails = max + 1;
  while (fails - fits > 1) {
    const n = (fits + fails) >> 1;
    if (await loads(grown(n))) fits = n;
    else fails = n;
  }
  return fits;
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(", ");

/** Locals the main function can still take: that many more at its top still load. */
function spareLocals(script: LuaScript): Promise<number> {
  const [shebang, ...rest] = script.source.split("\n");
  return largestLoading((n) => (n === 0 ? script.source : [shebang, `local ${names("spare", n)}`, ...rest].join("\n")), 200);
}

/** Upvalues the body function can still take: that many more main-chunk locals read in it still load. */
function spareUpvalues(script: ComposedScript): Promise<number> {
  const lines = script.source.split("\n");
  const at = lines.indexOf(BODY_OPEN);
  expect(at).toBeGreaterThan(0);
  const grown = (n: number) =>
    n === 0 ? script.source : [...lines.slice(0, at), `local ${names("up", n)}`, BODY_OPEN, `local _ = {${names("up", n)}}`, ...lines.slice(at + 1)].join("\n");
  return largestLoading(grown, 60);
}

describe("Lua limits: room left in every script", () => {
  it.each([...QUEUE_SCRIPTS, ...OTHER_SCRIPTS].map((s) => [s.name, s] as const))(`%s: its main function has room for ${SPARE_LOCALS} more locals`, async (_, script) => {
    expect(await spareLocals(script)).toBeGreaterThanOrEqual(SPARE_LOCALS);
  });

  it.each(QUEUE_SCRIPTS.map((s) => [s.name, s] as const))(`%s: its body can read ${SPARE_UPVALUES} more of the pieces' locals`, async (_, script) => {
    expect(await spareUpvalues(script)).toBeGreaterThanOrEqual(SPARE_UPVALUES);
  });

  it("the measures see a script near either limit", async () => {
    // a piece of 190 top-level locals: with the key binding, the REST server's guard and the body, 193
    const crowded = luaPiece("crowded", {}, `local ${names("c", 190)}`);
    const near = defineQueueScript({ name: "near", summary: "t", keys: ["meta"], uses: [crowded], contract: "", body: "return META" });
    expect(await spareLocals(near)).toBe(7);
    // a body reading 55 of the pieces' locals (and META): 4 upvalues left
    const wide = luaPiece("wide", {}, `local ${names("w", 55)}`);
    const reader = defineQueueScript({ name: "reader", summary: "t", keys: ["meta"], uses: [wide], contract: "", body: `return {META, ${names("w", 55)}}` });
    expect(await spareUpvalues(reader)).toBe(4);
  });
});
