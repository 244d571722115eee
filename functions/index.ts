/**
 * The registry: every function a task may name, every map-reduce job, and every schedule. Add yours here after
 * writing it in its own file (copy echo.ts or flaky.ts to start, or estimate-pi.ts for a job).
 */
import { registry } from "../src/runtime/index";
import { corpusWordFrequencies } from "./corpus-word-frequencies";
import { countPrimes } from "./count-primes";
import { echo } from "./echo";
import { estimatePi } from "./estimate-pi";
import { flaky } from "./flaky";
import { hashChain } from "./hash-chain";
import { logStats } from "./log-stats";
import { nightlyHeartbeat } from "./nightly-heartbeat";
import { partnerCall } from "./partner-call";
import { primesBelow } from "./primes-below";
import { sleep } from "./sleep";
import { wordFrequencies } from "./word-frequencies";

export const functions = registry(
  [echo, flaky, sleep, countPrimes, hashChain, wordFrequencies, partnerCall],
  [primesBelow, estimatePi, corpusWordFrequencies, logStats],
  [nightlyHeartbeat],
);

