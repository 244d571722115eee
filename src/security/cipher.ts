/**
 * Encryption at rest of task inputs and results: AES-GCM through WebCrypto, with keys from the
 * EDGEQ_ENCRYPTION_KEYS secret, `ID:BASE64KEY` entries separated by `,` (or `;`):
 *   EDGEQ_ENCRYPTION_KEYS="k2:<32 bytes in base64>,k1:<older key>"
 * The first key seals; every key opens, found by the key id each sealed value carries, so a key is
 * rotated by putting a new one first and dropping the old one once nothing sealed with it is left.
 *
 * A sealed value is an ordinary JSON object, `{"$edgeq:enc":"k2.<iv>.<ciphertext>"}` (base64url),
 * so the queue core stores it as it stores any input: it never sees a key or a plaintext. The
 * additional data binds each value to what it is (`input` or `result`) and its queue, so that
 * someone who can write to Redis cannot move a sealed value into another task's place unnoticed
 * across queues or kinds.
 */
import { fromBase64, toBase64Url, fromBase64Url } from "./base64";

export const SEALED_FIELD = "$edgeq:enc";
/** Error texts are strings, not JSON values: sealed ones are this prefix and the same token. */
export const SEALED_TEXT_PREFIX = "$edgeq:enc:";
export type Sealed = { [SEALED_FIELD]: string };

/** What a sealed value holds: a task's input or its result, of one queue. */
export type PayloadKind = "input" | "result" | "error" | "job-input" | "job-acc" | "job-result";

export class PayloadKeyError extends Error {
  override readonly name = "PayloadKeyError";
}

export interface PayloadCipher {
  /** The key id new values are sealed with. */
  readonly currentKeyId: string;
  seal(value: unknown, kind: PayloadKind, queue: string): Promise<Sealed>;
  /** Opens a sealed value; anything else (stored before encryption was on) is returned as it is. */
  open(value: unknown, kind: PayloadKind, queue: string): Promise<unknown>;
  /** The same for texts (error messages): a prefixed string in, the text out. */
  sealText(text: string, kind: PayloadKind, queue: string): Promise<string>;
  openText(text: string, kind: PayloadKind, queue: string): Promise<string>;
}

/** Bytes a sealed value adds: IV, GCM tag, key id and the envelope, then base64 of it all. */
const SEAL_OVERHEAD_BYTES = 96;

/** The largest plaintext (JSON bytes) whose sealed form stays within `storedLimit` bytes. */
export function sealedCapacity(storedLimit: number): number {
  return Math.floor(((storedLimit - SEAL_OVERHEAD_BYTES) * 3) / 4) - 16;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;

export function isSealed(value: unknown): value is Sealed {
  return typeof value === "object" && value !== null && typeof (value as Record<string, unknown>)[SEALED_FIELD] === "string";
}

interface ParsedKey {
  id: string;
  key: Promise<CryptoKey>;
}

/** Checks the secret's shape at once (a typo must fail loudly); keys are imported on first use. */
export function parseEncryptionKeys(secret: string): ParsedKey[] {
  const entries = secret.split(/[;,]/).map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new PayloadKeyError("EDGEQ_ENCRYPTION_KEYS holds no key");
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const where = `EDGEQ_ENCRYPTION_KEYS entry ${index + 1}`;
    const colon = entry.indexOf(":");
    const id = entry.slice(0, colon).trim();
    if (colon < 0 || !KEY_ID.test(id)) throw new PayloadKeyError(`${where} is not ID:BASE64KEY with an id of A-Z, a-z, 0-9, _ and -`);
    if (seen.has(id)) throw new PayloadKeyError(`${where}: key id "${id}" appears twice`);
    seen.add(id);
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = fromBase64(entry.slice(colon + 1).trim());
    } catch {
      throw new PayloadKeyError(`${where}: the key is not base64`);
    }
    if (raw.length !== 16 && raw.length !== 32) {
      throw new PayloadKeyError(`${where}: an AES key is 16 or 32 bytes, this one is ${raw.length} (make one with \`openssl rand -base64 32\`)`);
    }
    return { id, key: crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]) };
  });
}

function additionalData(kind: PayloadKind, queue: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`edgeq:1:${kind}:${queue}`) as Uint8Array<ArrayBuffer>;
}

export function createPayloadCipher(secret: string): PayloadCipher {
  const keys = parseEncryptionKeys(secret);
  const byId = new Map(keys.map((key) => [key.id, key.key]));
  const current = keys[0]!;

  /** `<key id>.<iv>.<ciphertext>` of a UTF-8 text. */
  async function encrypt(text: string, kind: PayloadKind, queue: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: additionalData(kind, queue) },
      await current.key,
      new TextEncoder().encode(text),
    );
    return `${current.id}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
  }

  async function decrypt(token: string, kind: PayloadKind, queue: string): Promise<string> {
    const [id = "", iv = "", ciphertext = "", extra] = token.split(".");
    const key = byId.get(id);
    if (!key) throw new PayloadKeyError(`sealed with key "${id}", which EDGEQ_ENCRYPTION_KEYS no longer holds`);
    if (extra !== undefined) throw new PayloadKeyError("a sealed value has more than three parts");
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: additionalData(kind, queue) },
        await key,
        fromBase64Url(ciphertext),
      );
      return new TextDecoder().decode(plaintext);
    } catch {
      throw new PayloadKeyError(`a sealed ${kind} of queue "${queue}" does not open with key "${id}": altered, or moved from elsewhere`);
    }
  }

  return {
    currentKeyId: current.id,
    seal: async (value, kind, queue) => ({ [SEALED_FIELD]: await encrypt(JSON.stringify(value ?? null), kind, queue) }),
    open: async (value, kind, queue) => (isSealed(value) ? (JSON.parse(await decrypt(value[SEALED_FIELD], kind, queue)) as unknown) : value),
    sealText: async (text, kind, queue) => `${SEALED_TEXT_PREFIX}${await encrypt(text, kind, queue)}`,
    openText: async (text, kind, queue) => (text.startsWith(SEALED_TEXT_PREFIX) ? decrypt(text.slice(SEALED_TEXT_PREFIX.length), kind, queue) : text),
  };
}

// One cipher per isolate and secret value: the keys are imported once.
let cached: { secret: string; cipher: PayloadCipher } | undefined;

/** The cipher for the EDGEQ_ENCRYPTION_KEYS binding, or null when encryption is off (unset or blank). */
export function payloadCipher(secret: string | undefined): PayloadCipher | null {
  if (!secret || secret.trim() === "") return null;
  if (cached?.secret !== secret) cached = { secret, cipher: createPayloadCipher(secret) };
  return cached.cipher;
}

/** Opens `text` with `cipher`; a sealed text with encryption off is an error, not a silent pass. */
export async function openPayloadText(cipher: PayloadCipher | null, text: string, kind: PayloadKind, queue: string): Promise<string> {
  if (cipher) return cipher.openText(text, kind, queue);
  if (text.startsWith(SEALED_TEXT_PREFIX)) throw new PayloadKeyError(`an ${kind} of queue "${queue}" is sealed but EDGEQ_ENCRYPTION_KEYS is not set`);
  return text;
}

/** Opens `value` with `cipher`; a sealed value with encryption off is an error, not a silent pass. */
export async function openPayload(cipher: PayloadCipher | null, value: unknown, kind: PayloadKind, queue: string): Promise<unknown> {
  if (cipher) return cipher.open(value, kind, queue);
  if (isSealed(value)) throw new PayloadKeyError(`a ${kind} of queue "${queue}" is sealed but EDGEQ_ENCRYPTION_KEYS is not set`);
  return value;
}

/** A task record as its owner sent it and its function returned it: input, result and errors opened. */
export async function openTaskRecord<T extends { queue: string; input: unknown; result?: unknown; error?: string; errors?: string[] }>(
  cipher: PayloadCipher | null,
  task: T,
): Promise<T> {
  const opened: T = { ...task, input: await openPayload(cipher, task.input, "input", task.queue) };
  if (task.result !== undefined) opened.result = await openPayload(cipher, task.result, "result", task.queue);
  if (task.error !== undefined) opened.error = await openPayloadText(cipher, task.error, "error", task.queue);
  if (task.errors) opened.errors = await Promise.all(task.errors.map((error) => openPayloadText(cipher, error, "error", task.queue)));
  return opened;
}
