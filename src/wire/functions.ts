/** GET /v1/functions: what a client may enqueue, and with what input. */

export type FunctionKind = "task" | "job";

export interface FunctionInfo {
  name: string;
  kind: FunctionKind;
  description: string | null;
  maxAttempts: number | null;
  timeoutMs: number | null;
  /** JSON Schema (draft 2020-12) of the input, from the function's zod schema. */
  inputSchema: Record<string, unknown>;
}
