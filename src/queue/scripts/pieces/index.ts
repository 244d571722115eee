/** The Lua pieces queue scripts are composed of (compose.ts); each script includes those it uses. */
import type { QueueKeyName } from "../../keys";
import { luaPiece as anyPiece, type LuaPiece } from "../compose";

export type QueuePiece = LuaPiece<QueueKeyName>;

export function luaPiece(name: string, spec: { keys?: QueueKeyName[]; uses?: QueuePiece[] }, source: string): QueuePiece {
  return anyPiece(name, spec, source);
}
