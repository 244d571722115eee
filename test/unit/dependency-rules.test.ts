/**
 * The layering check that `npm test` runs (`npm run lint:deps`, rules in .dependency-cruiser.cjs)
 * fails on what it names: run on a tree with one planted violation per rule, it reports each of
 * them (an import may break two rules) and nothing else; run on the project, it reports none.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { cruise, type ICruiseResult, type IConfiguration } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const config = createRequire(import.meta.url)("../../.dependency-cruiser.cjs") as IConfiguration;

async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const { output } = await cruise(paths, {
    baseDir,
    ruleSet: { forbidden: config.forbidden ?? [] },
    validate: true,
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: config.options?.exclude ?? {},
  });
  return (output as ICruiseResult).summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

describe("the dependency rules", () => {
  it("catch each planted violation: an import up a layer, past a folder's index.ts, from src/ into functions/, from the client or the wire types into the server, a cycle", async () => {
    const found = await violations(`${root}test/fixtures/layers`, ["src", "functions"]);
    expect(found).toEqual([
      "blobs-below-runtime: src/blobs/store.ts -> src/runtime/run.ts",
      "blobs-through-its-door: functions/log-job.ts -> src/blobs/store.ts",
      "client-stands-alone: src/client/sdk.ts -> src/queue/core.ts",
      "http-only-from-the-root: src/runtime/run.ts -> src/http/route.ts",
      "no-circular: src/security/a.ts -> src/security/b.ts",
      "queue-is-the-core: src/queue/core.ts -> src/runtime/run.ts",
      "runtime-below-http: src/runtime/run.ts -> src/http/route.ts",
      "runtime-through-its-door: src/blobs/store.ts -> src/runtime/run.ts",
      "runtime-through-its-door: src/queue/core.ts -> src/runtime/run.ts",
      "src-not-to-outside: src/runtime/run.ts -> functions/index.ts",
      "wire-is-types-alone: src/wire/shapes.ts -> src/queue/core.ts",
    ]);
  });

  it("find none in the project", async () => {
    expect(await violations(root, ["src", "functions", "bench", "dev", "test"])).toEqual([]);
  });
});
