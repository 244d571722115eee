#!/usr/bin/env node
// The `edgeq` command: runs the TypeScript CLI through tsx (the project is not compiled ahead of time).
import { register } from "tsx/esm/api";

register();
const { run } = await import("./main.ts");
await run(process.argv.slice(2));
