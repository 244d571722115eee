import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ORIGIN } from "./helpers";

async function get(path: string): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`));
}

describe("GET /dashboard and its assets", () => {
  it("serves the page, script and stylesheet without a token, under a strict CSP", async () => {
    for (const [path, type] of [
      ["/dashboard", "text/html"],
      ["/dashboard/app.js", "text/javascript"],
      ["/dashboard/app.css", "text/css"],
    ] as const) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain(type);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      await response.text();
    }
  });

  it("keeps code out of the page: one external script, no inline script, style or handler", async () => {
    const html = await (await get("/dashboard")).text();
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/dashboard/app.js" defer>']);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    const js = await (await get("/dashboard/app.js")).text();
    expect(js).toContain('"Bearer " + token()');
    expect(js).toContain("sessionStorage");
    expect(js).not.toMatch(/innerHTML|localStorage/);
  });

  it("answers 404 for an asset that does not exist", async () => {
    const response = await get("/dashboard/missing.js");
    expect(response.status).toBe(404);
    await response.text();
  });
});
