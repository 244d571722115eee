import { describe, expect, it } from "vitest";
import { blobKeyProblem, blobPrefixProblem, MAX_KEY_LENGTH, topSegment } from "../../src/blobs/keys";
import { parsePayloadKey, payloadKey, payloadRoot } from "../../src/blobs/payloads";
import { resolveRange } from "../../src/http/byte-range";

describe("blob keys", () => {
  it("accept folders of portable segments", () => {
    for (const key of ["a", "logs/2026-12-07.log", "reports-1/q=4/x+y@z,w.csv", "a/..b/c..", "k".repeat(MAX_KEY_LENGTH)]) expect(blobKeyProblem(key)).toBeNull();
    expect(topSegment("reports-1/q4.csv")).toBe("reports-1");
  });

  it("refuse traversal, empty segments, reserved names, other characters and overlong keys, saying why", () => {
    expect(blobKeyProblem("a/../b")).toMatch(/cannot traverse/);
    expect(blobKeyProblem("./a")).toMatch(/cannot traverse/);
    expect(blobKeyProblem("/a")).toMatch(/empty segment/);
    expect(blobKeyProblem("a//b")).toMatch(/empty segment/);
    expect(blobKeyProblem("a/")).toMatch(/empty segment/);
    expect(blobKeyProblem("")).toMatch(/empty/);
    expect(blobKeyProblem("a/uploads/b")).toMatch(/reserved/);
    expect(blobKeyProblem("a b")).toMatch(/character/);
    expect(blobKeyProblem("a\\b")).toMatch(/character/);
    expect(blobKeyProblem("~payloads/q/t/input")).toMatch(/character/);
    expect(blobKeyProblem("k".repeat(MAX_KEY_LENGTH + 1))).toMatch(/limit/);
  });

  it("take a prefix ending in a folder's slash, or none", () => {
    expect(blobPrefixProblem("")).toBeNull();
    expect(blobPrefixProblem("logs/")).toBeNull();
    expect(blobPrefixProblem("logs/2026-")).toBeNull();
    expect(blobPrefixProblem("logs//")).toMatch(/empty segment/);
    expect(blobPrefixProblem("../")).toMatch(/traverse/);
  });

  it("name payload blobs by key prefix, queue, owner and kind, and read those names back", () => {
    const owner = { prefix: "edgeq-eu:1", queue: "q-1", ownerId: "01ABC:x.y", kind: "result" } as const;
    const key = payloadKey(owner, "f".repeat(64));
    expect(key).toBe(`~payloads/edgeq-eu:1/q-1/01ABC:x.y/result-${"f".repeat(32)}`);
    expect(key.startsWith(payloadRoot("edgeq-eu:1"))).toBe(true);
    expect(parsePayloadKey(key)).toEqual(owner);
    expect(parsePayloadKey(payloadKey({ ...owner, kind: "job-input" }, "0".repeat(64)))).toEqual({ ...owner, kind: "job-input" });
    // Another deployment's root is not a prefix of this one's, even when its name starts the same.
    expect(key.startsWith(payloadRoot("edgeq"))).toBe(false);
    expect(parsePayloadKey("~payloads/p/q/t/other-ffff")).toBeNull();
    // The names of before key prefixes (no prefix segment) are not payload names of any deployment.
    expect(parsePayloadKey(`~payloads/q/t/input-${"f".repeat(32)}`)).toBeNull();
  });
});

describe("Range headers", () => {
  it("resolve one bytes range against the size; several, or none, mean the whole object", () => {
    expect(resolveRange(undefined, 10)).toBeNull();
    expect(resolveRange("bytes=2-4", 10)).toEqual({ offset: 2, length: 3 });
    expect(resolveRange("bytes=8-", 10)).toEqual({ offset: 8, length: 2 });
    expect(resolveRange("bytes=-4", 10)).toEqual({ offset: 6, length: 4 });
    expect(resolveRange("bytes=0-99", 10)).toEqual({ offset: 0, length: 10 });
    expect(resolveRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(resolveRange("bytes=-0", 10)).toBe("unsatisfiable");
    expect(resolveRange("bytes=5-2", 10)).toBeNull();
    expect(resolveRange("bytes=0-1,3-4", 10)).toBeNull();
    expect(resolveRange("items=0-1", 10)).toBeNull();
  });
});
