import { z } from "zod";
import { checkpoint, defineFunction } from "../src/runtime/index";

/** Rounds between two checkpoints, so a timeout can stop a long chain. */
const ROUNDS_PER_CHECKPOINT = 1_000;

/**
 * Hashes a payload with SHA-256, then hashes the digest, `rounds` times (WebCrypto): CPU-bound work
 * whose answer anyone can check by running the same chain.
 */
export const hashChain = defineFunction({
  name: "hash-chain",
  description: "SHA-256 of the payload, then of each digest, `rounds` times; returns the last digest in hex.",
  input: z.object({
    payload: z.string().max(65_536),
    rounds: z.int().min(1).max(1_000_000),
  }),
  timeoutMs: 60_000,
  async run({ payload, rounds }, ctx) {
    let digest: ArrayBuffer = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(payload));
    for (let round = 2; round <= rounds; round++) {
      digest = await crypto.subtle.digest("SHA-256", digest);
      if (round % ROUNDS_PER_CHECKPOINT === 0) await checkpoint(ctx.signal);
    }
    return { rounds, sha256: toHex(digest) };
  },
});

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
