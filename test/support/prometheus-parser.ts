/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must be a
 * HELP, a TYPE or a sample of the grammar, families must be declared before their samples and not
 * interleaved, and histograms must be well formed (buckets ascending in le, cumulative, ending at
 * +Inf, with _sum and a _count equal to the +Inf bucket). Anything else throws, naming the line.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = "[a-zA-Z_][a-zA-Z0-9_]*";
const VALUE = "(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)";
const LABEL_PAIR = `${LABEL}="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL_PAIR})(?:,${LABEL_PAIR})*,?)?\\})? (${VALUE})(?: (-?\\d+))?$`);
const HELP = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const PAIR = new RegExp(`(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`, "g");

function parseValue(text: string): number {
  if (text.endsWith("Inf")) return text.startsWith("-") ? -Infinity : Infinity;
  return text === "NaN" ? Number.NaN : Number(text);
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

export function parseExposition(body: string): Exposition {
  if (!body.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const lines = body.slice(0, -1).split("\n");
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const finished = new Set<string>();
  let current: string | undefined;
  const familyOf = (name: string): string => {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && types.get(base) === "histogram") return base;
    }
    return name;
  };
  const enter = (family: string, line: number) => {
    if (family === current) return;
    if (finished.has(family)) throw new Error(`line ${line}: family ${family} appears twice`);
    if (current) finished.add(current);
    current = family;
  };
  lines.forEach((line, index) => {
    const n = index + 1;
    let match: RegExpExecArray | null;
    if ((match = HELP.exec(line))) {
      if (help.has(match[1]!)) throw new Error(`line ${n}: second HELP for ${match[1]}`);
      enter(match[1]!, n);
      help.set(match[1]!, match[2]!);
    } else if ((match = TYPE.exec(line))) {
      if (types.has(match[1]!)) throw new Error(`line ${n}: second TYPE for ${match[1]}`);
      if (samples.some((s) => familyOf(s.name) === match![1])) throw new Error(`line ${n}: TYPE after samples of ${match[1]}`);
      enter(match[1]!, n);
      types.set(match[1]!, match[2]!);
    } else if ((match = SAMPLE.exec(line))) {
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? "").matchAll(PAIR)) {
        if (pair[1]! in labels) throw new Error(`line ${n}: label ${pair[1]} twice`);
        labels[pair[1]!] = unescape(pair[2]!);
      }
      const family = familyOf(match[1]!);
      if (!types.has(family)) throw new Error(`line ${n}: sample of ${family} before its TYPE`);
      enter(family, n);
      const value = parseValue(match[3]!);
      if (types.get(family) === "counter" && !(value >= 0)) throw new Error(`line ${n}: counter ${family} is ${value}`);
      samples.push({ name: match[1]!, labels, value });
    } else {
      throw new Error(`line ${n} is not in the exposition grammar: ${JSON.stringify(line)}`);
    }
  });
  for (const [family, type] of types) if (type === "histogram") checkHistogram(family, samples);
  return { samples, types, help };
}

function checkHistogram(family: string, samples: Sample[]): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of samples) {
    if (!sample.name.startsWith(family)) continue;
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name === `${family}_bucket`) {
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      entry.buckets.push([parseValue(le), sample.value]);
    } else if (sample.name === `${family}_sum`) entry.sum = sample.value;
    else if (sample.name === `${family}_count`) entry.count = sample.value;
  }
  for (const [key, { buckets, sum, count }] of series) {
    const where = `${family}${key}`;
    if (buckets.length === 0 || buckets.at(-1)![0] !== Infinity) throw new Error(`${where}: buckets must end at le="+Inf"`);
    buckets.forEach(([le, value], i) => {
      if (i > 0 && !(le > buckets[i - 1]![0])) throw new Error(`${where}: le must ascend`);
      if (i > 0 && value < buckets[i - 1]![1]) throw new Error(`${where}: buckets must be cumulative`);
    });
    if (sum === undefined || count === undefined) throw new Error(`${where}: _sum and _count are required`);
    if (count !== buckets.at(-1)![1]) throw new Error(`${where}: _count ${count} differs from the +Inf bucket`);
  }
}
