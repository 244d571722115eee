import { describe, expect, it } from "vitest";
import { hasScope, parseTokens, scopesOf, TokenConfigError } from "../../src/http/tokens";

const A = "aaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbb";

describe("EDGEQ_TOKENS parsing", () => {
  it("reads tokens with their scopes, either separator, spaces and newlines ignored", async () => {
    const tokens = await parseTokens(` ${A}:admin ;\n${B}:enqueue+read, `);
    expect(tokens).toHaveLength(2);
    expect([...(await scopesOf(A, tokens))!]).toEqual(["admin"]);
    expect([...(await scopesOf(B, tokens))!].sort()).toEqual(["enqueue", "read"]);
    expect(await scopesOf(`${A}x`, tokens)).toBeNull();
    expect(await scopesOf("", tokens)).toBeNull();
  });

  it("refuses a malformed secret with a message that says which entry", async () => {
    await expect(parseTokens("")).rejects.toThrow(TokenConfigError);
    await expect(parseTokens(`${A}:admin;${B}`)).rejects.toThrow(/entry 2/);
    await expect(parseTokens(`${A}:superuser`)).rejects.toThrow(/unknown scope "superuser"/);
    await expect(parseTokens("short:admin")).rejects.toThrow(/at least 16/);
  });

  it("lets admin stand for every scope", async () => {
    const [admin, reader] = await parseTokens(`${A}:admin;${B}:read`);
    expect(hasScope(admin!.scopes, "enqueue")).toBe(true);
    expect(hasScope(reader!.scopes, "read")).toBe(true);
    expect(hasScope(reader!.scopes, "enqueue")).toBe(false);
  });

  it("lets two tokens hold the same scopes, as during a rotation", async () => {
    const tokens = await parseTokens(`${A}:enqueue;${B}:enqueue`);
    expect(await scopesOf(A, tokens)).not.toBeNull();
    expect(await scopesOf(B, tokens)).not.toBeNull();
  });
});
