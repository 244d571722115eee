/**
 * The registry: every function a task may name. Add yours here after writing it in its own file
 * (copy echo.ts or flaky.ts to start).
 */
import { registry } from "../src/runtime/registry";
import { countPrimes } from "./count-primes";
import { echo } from "./echo";
import { flaky } from "./flaky";
import { hashChain } from "./hash-chain";
import { wordFrequencies } from "./word-frequencies";

export const functions = registry([echo, flaky, countPrimes, hashChain, wordFrequencies]);

/** What GET /v1/functions returns: names, limits and each input's JSON Schema. */
export function listFunctions() {
  return functions.list();
}
