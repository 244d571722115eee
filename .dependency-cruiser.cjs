/**
 * The layering rules `npm test` checks (`npm run lint:deps`; test/unit/dependency-rules.test.ts
 * proves that they fail on planted violations): each layer imports only the layers below it,
 * nothing in src/ reaches the user's functions or the Node-only dev stack, and no module imports
 * itself through a cycle.
 *   src/wire     the JSON shapes of the HTTP API, types only: imports nothing, and everything may import it
 *   src/queue    the core: no Hono, no Workers, no other edgeq layer but the wire types
 *   src/security ciphers, replay marks, rate limits over the core
 *   src/blobs    R2 files and task payloads too large for Redis, over the core
 *   src/runtime  runs work over the core and security
 *   src/http     the Hono app over all of the above
 *   src/index.ts the one composition root: wires functions/ into the app and the runtime
 */
/** One forbidden import: from `from` to `to`, with why it is forbidden. */
const rule = (name, from, to, comment) => ({ name, severity: "error", comment, from, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    rule("no-circular", {}, { circular: true },
      "An import cycle: modules that cannot be read, tested or loaded one without the other."),
    rule("src-not-to-outside", { path: "^src/", pathNot: "^src/index[.]ts$" }, { path: "^(functions|dev|test|bench)/" },
      "src/ is what deploys: it never imports the user's functions (the composition root passes the registry in), the dev stack, tests or benchmarks."),
    rule("index-only-to-functions", { path: "^src/index[.]ts$" }, { path: "^(functions/(?!index[.]ts$)|dev/|test/|bench/)" },
      "Only the composition root (src/index.ts) reaches functions/, through its registry."),
    rule("wire-is-types-alone", { path: "^src/wire/" }, { path: "^(?!src/wire/)" },
      "src/wire is the shapes the server and the client share: it imports nothing else (no edgeq layer, no package)."),
    rule("queue-is-the-core", { path: "^src/queue/" }, { path: "^src/(?!queue/|wire/)|^node_modules/(hono|@hono|@cloudflare|@upstash/qstash)/" },
      "src/queue knows nothing of the layers above it, of Hono or of Workers."),
    rule("security-below-runtime", { path: "^src/security/" }, { path: "^src/(runtime|http|client)/|^src/(index|env)[.]ts$|^node_modules/(hono|@hono)/" },
      "src/security serves the runtime and the HTTP layer; it imports only the queue core."),
    rule("blobs-below-runtime", { path: "^src/blobs/" }, { path: "^src/(runtime|http|security|client)/|^src/(index|env)[.]ts$|^node_modules/(hono|@hono)/" },
      "src/blobs (R2 files and large payloads) serves the runtime and the HTTP layer; it imports only the queue core."),
    rule("runtime-below-http", { path: "^src/runtime/" }, { path: "^src/(http|client)/|^src/index[.]ts$|^node_modules/(hono|@hono)/" },
      "src/runtime runs work; it does not speak HTTP (no Hono, no src/http)."),
    rule("http-only-from-the-root", { path: "^src/", pathNot: "^src/(http/|index[.]ts$)" }, { path: "^src/http/" },
      "The Hono app is built by the composition root; nothing else in src/ imports it."),
    rule("runtime-through-its-door", { path: "^(src|functions)/", pathNot: "^src/runtime/" }, { path: "^src/runtime/(?!index[.]ts$)" },
      "Other folders import the runtime through src/runtime/index.ts, never its internals."),
    rule("security-through-its-door", { path: "^(src|functions)/", pathNot: "^src/security/" }, { path: "^src/security/(?!index[.]ts$)" },
      "Other folders import security through src/security/index.ts, never its internals."),
    rule("blobs-through-its-door", { path: "^(src|functions)/", pathNot: "^src/blobs/" }, { path: "^src/blobs/(?!index[.]ts$)" },
      "Other folders import blobs through src/blobs/index.ts, never its internals."),
    rule("jobs-store-through-its-door", { path: "^(src|functions)/", pathNot: "^src/queue/" }, { path: "^src/queue/jobs/(?!index[.]ts$)" },
      "Layers above the queue core import the jobs store through src/queue/jobs/index.ts."),
    rule("client-stands-alone", { path: "^src/client/" }, { path: "^src/(?!client/|wire/)" },
      "The client SDK and CLI run anywhere: they import no server code, only the wire types they share with it."),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // The planted violations that test/unit/dependency-rules.test.ts checks the rules against.
    exclude: { path: "^(node_modules|test/fixtures)/" },
  },
};
