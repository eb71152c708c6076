import type { Prng } from "./prng.js";
import { VOCABULARY } from "./vocabulary.js";

const ASCII_WORDS = VOCABULARY.filter((w) => /^[a-z]+$/.test(w));

/** A deterministic string of a common `format`, or `undefined` for a format this engine does not know. */
export function formatted(format: string, prng: Prng): string | undefined {
  const w = ASCII_WORDS[prng.int(ASCII_WORDS.length)];
  const d = 1 + prng.int(28);
  const dd = String(d).padStart(2, "0");
  const hex = (n: number) => Array.from({ length: n }, () => prng.int(16).toString(16)).join("");
  switch (format) {
    case "date-time":
      return `2026-01-${dd}T12:${dd}:00Z`;
    case "date":
      return `2026-01-${dd}`;
    case "time":
      return `12:${dd}:00Z`;
    case "duration":
      return `PT${d}M`;
    case "email":
    case "idn-email":
      return `${w}@example.com`;
    case "hostname":
    case "idn-hostname":
      return `${w}.example.com`;
    case "ipv4":
      return `192.0.2.${d}`;
    case "ipv6":
      return `2001:db8::${d}`;
    case "uri":
    case "iri":
    case "url":
      return `https://example.com/${w}`;
    case "uri-reference":
    case "iri-reference":
      return `/${w}`;
    case "uuid":
      return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    default:
      return undefined;
  }
}
