/**
 * Every Lua script's contract: the header lists the KEYS the caller sends, the binding names them,
 * and the body touches keys only through those names; and each script's SHA-1 is pinned, so that a
 * change to a script (and to what a running deployment has cached) is a deliberate one.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { QUEUE_KEYS } from "../../src/queue/keys";
import { extendScript } from "../../src/queue/scripts/extend";
import { partitionBinding, type ComposedScript } from "../../src/queue/scripts/compose";
import { LUA_FORMAT } from "../../src/queue/scripts/pieces/format";
import { defineQueueScript } from "../../src/queue/scripts/queue-script";
import { KEY_LOCKING_SHEBANG, READ_ONLY_SHEBANG } from "../../src/queue/scripts/runner";
import { settleScript } from "../../src/queue/scripts/settle";
import { statsScript } from "../../src/queue/scripts/stats";
import { OTHER_SCRIPTS, QUEUE_SCRIPTS } from "../support/lua-scripts";

const LUA_NAME = new Map<string, string>(QUEUE_KEYS.map((key) => [key.name, key.lua]));
const words = (text: string, names: Iterable<string>) => [...names].filter((name) => new RegExp(`\\b${name}\\b`).test(text));

/** What is wrong with a composed script's contract; empty when header, binding, key list and body agree. */
function contractProblems(script: ComposedScript): string[] {
  const problems: string[] = [];
  const lines = script.source.split("\n");
  if (lines[0] !== KEY_LOCKING_SHEBANG && lines[0] !== READ_ONLY_SHEBANG) problems.push("no key-locking shebang on line 1");
  const headerKeys = lines.filter((line) => /^KEYS\[\d+\] /.test(line)).map((line) => /^KEYS\[(\d+)\] (\w+):/.exec(line)!.slice(1));
  headerKeys.forEach(([at, name], i) => {
    if (Number(at) !== i + 1 || name !== script.keys[i]) problems.push(`header KEYS[${at}] ${name} is not key ${i + 1} of the list (${script.keys[i]})`);
  });
  if (headerKeys.length !== script.keys.length) problems.push(`header lists ${headerKeys.length} keys, the list ${script.keys.length}`);
  const bindingAt = lines.findIndex((line) => line.startsWith("local ") && line.includes("= KEYS[1]"));
  const expected = script.keys.map((name) => LUA_NAME.get(name)!);
  if (script.keys.length > 0) {
    const bound = bindingAt < 0 ? [] : /^local ([\w, ]+) =/.exec(lines[bindingAt]!)![1]!.split(", ");
    if (bound.join() !== expected.join()) problems.push(`binding ${bound.join()} ≠ ${expected.join()}`);
  }
  // a partitioned script: the header's last KEYS line and a generated line after the binding say where its partition keys start
  const partitionLine = lines.findIndex((line) => line.startsWith(`KEYS[${script.keys.length + 1}..] per partition`));
  if (script.partitioned !== (partitionLine >= 0)) problems.push(script.partitioned ? "partitioned, with no header line for its partition keys" : "a header line for partition keys, but not partitioned");
  if (script.partitioned && lines[bindingAt + 1] !== partitionBinding(script.keys.length)) problems.push("no partition binding after the key binding");
  const code = lines.slice(bindingAt + (script.partitioned ? 2 : 1)).join("\n");
  if (/KEYS\[/.test(code)) problems.push("the body reads KEYS[...] directly instead of a bound name");
  const used = words(code, LUA_NAME.values());
  for (const name of used) if (!expected.includes(name)) problems.push(`touches ${name}, which it does not declare`);
  for (const name of expected) if (!used.includes(name)) problems.push(`declares ${name}, which it never touches`);
  return problems;
}

describe("Lua script contracts", () => {
  it.each(QUEUE_SCRIPTS.map((s) => [s.name, s] as const))("%s: header, binding, key list and body agree", (_, script) => {
    expect(contractProblems(script)).toEqual([]);
  });

  it("the check fails on a script that touches an undeclared key, or declares one it never uses", () => {
    const sneaky = defineQueueScript({ name: "sneaky", summary: "t", keys: ["meta"], contract: "", body: `return redis.call("LLEN", READY)` });
    expect(contractProblems(sneaky)).toEqual(["touches READY, which it does not declare", "declares META, which it never touches"]);
    const raw = defineQueueScript({ name: "raw", summary: "t", keys: ["meta"], contract: "", body: `return redis.call("HGET", META, KEYS[2])` });
    expect(contractProblems(raw)).toContain("the body reads KEYS[...] directly instead of a bound name");
  });

  it("the scripts that only read are flagged no-writes, the others are not", () => {
    const readOnly = QUEUE_SCRIPTS.filter((s) => s.source.startsWith(READ_ONLY_SHEBANG)).map((s) => s.name);
    expect(readOnly.sort()).toEqual(["deadPage", "queueStats", "stats"]);
  });

  it("a script includes only the pieces it uses, each once", () => {
    expect(extendScript.pieces).not.toContain("transitions");
    expect(statsScript.pieces).toEqual([]);
    for (const script of QUEUE_SCRIPTS) expect(new Set(script.pieces).size).toBe(script.pieces.length);
    expect(settleScript.source.split(LUA_FORMAT.source.trim()).length).toBe(2);
  });

  it.each(OTHER_SCRIPTS.map((s) => [s.name, s] as const))("%s: carries the flag and reads no KEYS beyond its header", (_, script) => {
    const lines = script.source.split("\n");
    expect(lines[0]).toBe(KEY_LOCKING_SHEBANG);
    const rest = lines.slice(1).join("\n");
    // the header: a --[[ ]] block or the leading -- lines
    const headerLength = rest.startsWith("--[[") ? rest.indexOf("]]") + 2 : rest.split("\n").findIndex((line) => !line.startsWith("--"));
    const header = rest.slice(0, rest.startsWith("--[[") ? headerLength : rest.split("\n").slice(0, headerLength).join("\n").length);
    const body = rest.slice(header.length);
    const declared = Math.max(...[...header.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    const referenced = [...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    for (const at of referenced) expect(at).toBeLessThanOrEqual(declared);
  });
});

/** Update a pin only for a change to the script you meant to make: deployments will load the new body. */
const PINNED_SHA1: Record<string, string> = {
  "enqueue": "ea414c7e2f0e2a550d0c6a27e416d89d96b64113",
  "settle": "ff999b989bd45d6d2916fd2e8e15cb05582b9e4f",
  "extend": "18a15bf272115e6791b1c26f3a3852e4deab77f3",
  "cancel": "e8590135d162480a2627eb5bd8880f4e8729aade",
  "dead": "60da8b13a608760de274a5d1d38a9c7fd4a204d7",
  "upkeep": "3634a1bf29d8393d22ab23a38bb6e11ac3ea01a8",
  "stats": "596a9f9a174e483e74e300e8f2d28089031b80c0",
  "settings": "64f262692bcdecb3913d8e4d8d8891b3fc0dc941",
  "deadPage": "b8e6dd08109cdbf3410da37851d436dd3ec57ad8",
  "queueStats": "d1b6b8760a8dd537ba6991981a8bc261c26f4202",
  "wait-mark": "5b5047d5805b8d9ffc19cf352a60da2537eb6add",
  "foldCommit": "31a0c57202e40e292ab665eb351cb2563db692fc",
  "foldTake": "dc20f0cd5c3453cec9bf770600373a54d7bb7a53",
  "jobCreate": "04fe4cfd2696b00db1e434c03f27ed3a18a27f77",
  "jobFinish": "578cdf5ad8648e2367620ceb21c3615c60ccee40",
  "rate-take": "fa7d6e6dedaf0357ad0e22eb5cfb45167e61a893",
  "scheduleAdvance": "d2a2ca6427cef423bea4fece98608fd4d499dc62",
  "schedulePut": "2393ebee9c98d18ee1e53d3146a8ce1d134a71f6",
  "register": "a1d4e43fe4e99e1af8fa01bbae6a77592779b452",
  "scheduleRemove": "a7fc3a507da4ce21367e1aa0d5a44f46d5ef7f50",
};

describe("script SHA-1 pins", () => {
  it.each([...QUEUE_SCRIPTS, ...OTHER_SCRIPTS].map((s) => [s.name, s] as const))("%s", async (name, script) => {
    const sha = createHash("sha1").update(script.source).digest("hex");
    expect(await script.sha()).toBe(sha);
    expect({ [name]: sha }).toEqual({ [name]: PINNED_SHA1[name] });
  });
});
