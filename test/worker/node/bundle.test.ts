import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const wrangler = join(root, "node_modules", ".bin", "wrangler");
/** Workers free plan: 3 MiB compressed. "Well under" is a third of it. */
const FREE_PLAN_LIMIT = 3 * 1024 * 1024;

describe("the deployable bundle", () => {
  let outdir = "";
  afterAll(async () => {
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it("builds offline with wrangler deploy --dry-run and stays well under the size limit", async () => {
    outdir = await mkdtemp(join(tmpdir(), "edgeq-bundle-"));
    await promisify(execFile)(wrangler, ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: root,
      // No account, no network: a dry run must not need either.
      env: { ...process.env, CLOUDFLARE_API_TOKEN: "", WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1", CI: "true" },
      timeout: 100_000,
    });
    const files = (await readdir(outdir)).filter((name) => name.endsWith(".js"));
    expect(files).toContain("index.js");
    let raw = 0;
    let compressed = 0;
    for (const name of files) {
      const bytes = await readFile(join(outdir, name));
      raw += bytes.length;
      compressed += gzipSync(bytes, { level: 9 }).length;
    }
    console.log(`bundle: ${files.length} file(s), ${raw} bytes, ${compressed} bytes gzip`);
    expect(compressed).toBeLessThan(FREE_PLAN_LIMIT / 3);
    const entry = await readFile(join(outdir, "index.js"), "utf8");
    expect(entry).toContain("/v1/queues/{queue}/tasks");
  });
});
