import { describe, expect, it } from "vitest";
import { decodeRecord, encodeJson, encodeRecord, escapeField, fromBase36, text, toBase36, unescapeField } from "../../src/queue/codec";
import { errorFromCode, ErrorCode, EdgeqError } from "../../src/queue/errors";
import { newTaskId, TASK_ID_PATTERN } from "../../src/queue/ids";
import { settingsFromMeta, settingsPatchToFields, DEFAULT_SETTINGS, SETTING_FIELDS } from "../../src/queue/settings";
import { validateQueueName } from "../../src/queue/validate";

describe("queue codec", () => {
  it("packs a queued record with an 80-byte input into at most 108 characters", () => {
    const input = encodeJson("x".repeat(78), "input");
    const record = encodeRecord(["q", "0", "", "", "", ""], [toBase36(1_750_000_000_000), "echo", "bench", "", ""], input);
    expect(record.length).toBeLessThanOrEqual(108);
    expect(decodeRecord(record)).toEqual({ state: ["q", "0"], head: [toBase36(1_750_000_000_000), "echo", "bench"], input, result: "", errors: "" });
  });

  it("splits the state, head, input, result and errors", () => {
    expect(decodeRecord('s|1\tc|f|q\n{"a":"|"}\n[1]\n["e1","e2"]')).toEqual({
      state: ["s", "1"], head: ["c", "f", "q"], input: '{"a":"|"}', result: "[1]", errors: '["e1","e2"]',
    });
    expect(decodeRecord("s|1\tc\n1\n2")).toMatchObject({ input: "1", result: "2", errors: "" });
  });

  it("escapes the characters that separate header fields", () => {
    for (const s of ["a|b", "100%", "line\nbreak", "%7C", "plain"]) expect(unescapeField(escapeField(s))).toBe(s);
    expect(escapeField("a|b\n%")).not.toMatch(/[|\n]/);
  });

  it("never emits a raw newline or tab in JSON, whatever the strings hold", () => {
    expect(encodeJson({ s: "a\nb\r\u2028\t" }, "input")).not.toMatch(/[\n\t]/);
  });

  it("round-trips times in base 36 and restores ids a deserializing client turned into other types", () => {
    expect(fromBase36(toBase36(1_750_000_123_456))).toBe(1_750_000_123_456);
    expect(fromBase36("")).toBeNull();
    expect([text(123), text(true), text(null), text("x")]).toEqual(["123", "true", "null", "x"]);
  });
});

describe("queue ids, names, settings, errors", () => {
  it("generates 26-character ids that sort by creation, also within one millisecond", () => {
    const ids = [newTaskId(1000), newTaskId(1000), newTaskId(1000), newTaskId(1001), newTaskId(5_000_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(TASK_ID_PATTERN), expect(id).toHaveLength(26);
  });

  it("validates queue names", () => {
    expect(validateQueueName("emails_2-eu")).toBe("emails_2-eu");
    expect(() => validateQueueName("Emails")).toThrow(/queue: must match/);
  });

  it("maps stored setting fields over defaults and back", () => {
    const fields = settingsPatchToFields({ maxAttempts: 9, paused: true, backoff: { type: "fixed", baseMs: 5, maxMs: 6, jitter: 0.25 } });
    const values = SETTING_FIELDS.map((f) => fields[f] ?? null);
    expect(settingsFromMeta(values, DEFAULT_SETTINGS)).toEqual({
      ...DEFAULT_SETTINGS,
      maxAttempts: 9,
      paused: true,
      backoff: { type: "fixed", baseMs: 5, maxMs: 6, jitter: 0.25 },
    });
  });

  it("turns script codes into typed errors", () => {
    const error = errorFromCode(-2, "settle");
    expect(error).toBeInstanceOf(EdgeqError);
    expect(error).toMatchObject({ code: ErrorCode.LeaseMismatch, message: "settle: lease token is stale or wrong" });
    expect(errorFromCode(-99).code).toBe(ErrorCode.BadScriptArguments);
  });
});
