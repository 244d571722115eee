/**
 * A synthetic text corpus, generated from a seed, chunk by chunk: workers have no file system, and
 * each map task regenerates exactly its own chunk. Words are drawn from a pronounceable vocabulary
 * with a Zipf-like skew (a few very common words, a long tail), in sentences with capitals and
 * punctuation, so counting them exercises the same tokenizing as real text.
 */
import { mixSeed, seededRandom } from "./seeded-random";

const ONSETS = ["", "b", "br", "c", "ch", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "pr", "r", "s", "sh", "st", "t", "th", "tr", "v", "w"];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"];
const CODAS = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ck"];
export const VOCABULARY_SIZE = 2_000;

const vocabularies = new Map<number, string[]>();

/** The corpus's words, most frequent first; distinct by construction. */
export function vocabulary(seed: number): string[] {
  const cached = vocabularies.get(seed);
  if (cached) return cached;
  const random = seededRandom(mixSeed(seed, 0x766f63));
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  const words = new Set<string>();
  while (words.size < VOCABULARY_SIZE) {
    const syllables = 1 + Math.floor(random() * 3);
    let word = "";
    for (let s = 0; s < syllables; s++) word += pick(ONSETS) + pick(VOWELS) + pick(CODAS);
    if (random() < 0.02) word += "'s";
    words.add(word);
  }
  const list = [...words];
  vocabularies.set(seed, list);
  return list;
}

/** Chunk `index` of the corpus: about `bytes` characters of sentences, ending with a newline. */
export function corpusChunk(seed: number, index: number, bytes: number): string {
  const words = vocabulary(seed);
  const random = seededRandom(mixSeed(seed, index));
  const parts: string[] = [];
  let length = 0;
  let sentenceStart = true;
  while (length < bytes) {
    // log-uniform rank: P(rank r) ~ 1/r, the shape of word frequencies in natural text
    const rank = Math.min(words.length - 1, Math.floor(Math.exp(random() * Math.log(words.length + 1))) - 1);
    let word = words[rank]!;
    if (sentenceStart) word = word[0]!.toUpperCase() + word.slice(1);
    const end = random();
    sentenceStart = end < 0.08;
    word += sentenceStart ? ". " : end < 0.14 ? ", " : " ";
    parts.push(word);
    length += word.length;
  }
  return `${parts.join("").trimEnd()}\n`;
}
