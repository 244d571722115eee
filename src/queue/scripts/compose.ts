/**
 * Builds a Lua script from named pieces, with its KEYS contract generated from one list.
 *
 * A piece is a block of Lua that defines locals (functions, constants) for the pieces and the body
 * after it; it names the pieces it uses and the keys it touches. A script names its own keys and
 * pieces; the composer takes the pieces in dependency order (each once), the keys of the script and
 * of every piece it includes (in the order of their definitions, the caller's KEYS order), and writes
 *   #!lua flags=allow-key-locking
 *   --[[ name: summary
 *   KEYS[1] tasks: what it is   ...          (one line per key, from the definitions)
 *   <the script's own ARGV / returns text>
 *   ]]
 *   local TASKS, META = KEYS[1], KEYS[2]     (the binding: the Lua name of each key)
 *   <pieces>
 *   local function body()  <body>  end  return body()
 * so the header, the binding and the key list the caller sends cannot disagree; a test checks that
 * the body touches keys only through the bound names (test/unit/lua-contracts.test.ts).
 */
import { defineScript, type LuaScript } from "./runner";

/** One key a script may receive: its name in TypeScript, its Lua local, and what it holds. */
export interface KeySpec<Name extends string = string> {
  readonly name: Name;
  readonly lua: string;
  readonly what: string;
}

export interface LuaPiece<Name extends string = string> {
  readonly name: string;
  readonly keys: readonly Name[];
  readonly uses: readonly LuaPiece<Name>[];
  readonly source: string;
}

export function luaPiece<Name extends string>(name: string, spec: { keys?: Name[]; uses?: LuaPiece<Name>[] }, source: string): LuaPiece<Name> {
  return { name, keys: spec.keys ?? [], uses: spec.uses ?? [], source };
}

/** A composed script: the runner's script plus the keys the caller must send, in order. */
export interface ComposedScript<Name extends string = string> extends LuaScript {
  readonly keys: readonly Name[];
  readonly pieces: readonly string[];
  readonly partitioned: boolean;
}

function ordered<Name extends string>(uses: readonly LuaPiece<Name>[]): LuaPiece<Name>[] {
  const out: LuaPiece<Name>[] = [];
  const visit = (piece: LuaPiece<Name>, path: string[]) => {
    if (out.includes(piece)) return;
    if (path.includes(piece.name)) throw new Error(`Lua pieces include each other: ${[...path, piece.name].join(" → ")}`);
    for (const used of piece.uses) visit(used, [...path, piece.name]);
    out.push(piece);
  };
  for (const piece of uses) visit(piece, []);
  return out;
}

export interface ScriptSpec<Name extends string> {
  name: string;
  /** One line: what the script does. */
  summary: string;
  /** The script's own keys (those of its pieces are added). */
  keys?: Name[];
  uses?: LuaPiece<Name>[];
  /** ARGV, replies and error codes, as header text. */
  contract: string;
  body: string;
  /** Reads only (flagged no-writes, see runner.ts). */
  readOnly?: boolean;
  /**
   * Takes the keys of the partitions it touches after its named keys (keys.ts partitionKeys): the
   * header says so and DECLARED_PARTS holds them (pieces/partitions.ts reads it).
   */
  partitioned?: boolean;
}

/**
 * The body runs as a function of its own. Lua 5.1 allows a function's scope 200 locals at once, and the
 * pieces' top-level locals fill the main chunk's: with the body's locals in its own function the main
 * chunk keeps room for more pieces (test/unit/lua-headroom.test.ts measures both limits). The cost is
 * the body reading the pieces' locals as upvalues (a function allows 60), as their functions always did.
 */
export const BODY_OPEN = "local function body()";
export const BODY_CLOSE = "end\nreturn body()";

/** The generated line that hands a partitioned script the KEYS after its named ones. */
export function partitionBinding(named: number): string {
  return `local DECLARED_PARTS = {unpack(KEYS, ${named + 1})}`;
}

/** A script composer over one family of keys (the queue's, a job's ...), in their KEYS order. */
export function scriptComposer<Name extends string>(specs: readonly KeySpec<Name>[]) {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  return function compose(spec: ScriptSpec<Name>): ComposedScript<Name> {
    const pieces = ordered(spec.uses ?? []);
    const wanted = new Set<Name>([...(spec.keys ?? []), ...pieces.flatMap((piece) => piece.keys)]);
    for (const name of wanted) if (!byName.has(name)) throw new Error(`script ${spec.name}: unknown key "${name}"`);
    const keys = specs.filter((key) => wanted.has(key.name));
    const header = [
      `--[[ ${spec.name}: ${spec.summary}`,
      ...keys.map((key, i) => `KEYS[${i + 1}] ${key.name}: ${key.what}`),
      ...(spec.partitioned ? [`KEYS[${keys.length + 1}..] per partition touched, its keys (keys.ts partitionKeys: records hash, ready list, flow queue)`] : []),
      spec.contract.trim(),
      "]]",
    ];
    const binding = keys.length === 0 ? [] : [`local ${keys.map((k) => k.lua).join(", ")} = ${keys.map((_, i) => `KEYS[${i + 1}]`).join(", ")}`];
    if (spec.partitioned) binding.push(partitionBinding(keys.length));
    const source = [...header, ...binding, ...pieces.map((piece) => piece.source.trim()), BODY_OPEN, spec.body.trim(), BODY_CLOSE, ""].join("\n");
    const script = defineScript(spec.name, source, { readOnly: spec.readOnly });
    return { ...script, keys: keys.map((key) => key.name), pieces: pieces.map((piece) => piece.name), partitioned: spec.partitioned === true };
  };
}
