/**
 * A small strict parser of the Prometheus text exposition format (0.0.4), for tests: it throws on anything a
 * scraper would reject or that signals a broken exporter (bad names, bad escapes, a sample before its TYPE, a
 * family split in two, duplicate series, non-cumulative histogram buckets, a +Inf bucket that is not the count,
 * negative counters).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheus(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, Family>();
  const seriesSeen = new Set<string>();
  let current: Family | undefined;
  const finished = new Set<string>();
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line.slice(0, 120)}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ""] = m;
      if (!METRIC.test(name)) throw new Error(`bad metric name, ${where}`);
      let fam = families.get(name);
      if (fam && fam !== current) throw new Error(`family ${name} split, ${where}`);
      if (!fam) {
        if (current) finished.add(current.name);
        fam = { name, type: "untyped", samples: [] };
        families.set(name, fam);
        current = fam;
      }
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`bad type, ${where}`);
        if (fam.samples.length > 0) throw new Error(`TYPE after samples, ${where}`);
        fam.type = rest as Family["type"];
      } else {
        if (fam.help !== undefined) throw new Error(`second HELP, ${where}`);
        fam.help = unescapeHelp(rest, where);
      }
      return;
    }
    const s = parseSample(line, where);
    const fam = familyOf(s.name, current);
    if (!fam) throw new Error(`sample without a TYPE for its family, ${where}`);
    const key = `${s.name}{${Object.entries(s.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",")}}`;
    if (seriesSeen.has(key)) throw new Error(`duplicate series ${key}, ${where}`);
    seriesSeen.add(key);
    if (fam.type === "counter" && (s.value < 0 || Number.isNaN(s.value))) throw new Error(`negative counter, ${where}`);
    fam.samples.push(s);
  });
  for (const fam of families.values()) if (fam.type === "histogram") checkHistogram(fam);
  return families;
}

function familyOf(sampleName: string, current: Family | undefined): Family | undefined {
  if (!current) return undefined;
  if (sampleName === current.name) return current.type === "histogram" ? undefined : current;
  if (current.type === "histogram") {
    for (const suffix of ["_bucket", "_sum", "_count"]) if (sampleName === current.name + suffix) return current;
  }
  if (current.type === "summary") {
    for (const suffix of ["_sum", "_count"]) if (sampleName === current.name + suffix) return current;
  }
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i])) i++;
  const name = line.slice(0, i);
  if (!METRIC.test(name)) throw new Error(`bad sample name, ${where}`);
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const start = i;
      while (i < line.length && /[a-zA-Z0-9_]/.test(line[i])) i++;
      const label = line.slice(start, i);
      if (!LABEL.test(label)) throw new Error(`bad label name, ${where}`);
      if (line[i] !== "=" || line[i + 1] !== '"') throw new Error(`bad label syntax, ${where}`);
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unterminated label value, ${where}`);
        if (c === '"') break;
        if (c === "\\") {
          const n = line[i + 1];
          if (n === "\\") value += "\\";
          else if (n === '"') value += '"';
          else if (n === "n") value += "\n";
          else throw new Error(`bad escape, ${where}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
      if (label in labels) throw new Error(`repeated label ${label}, ${where}`);
      labels[label] = value;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new Error(`bad label list, ${where}`);
    }
    i++;
  }
  if (line[i] !== " ") throw new Error(`missing space before value, ${where}`);
  const parts = line.slice(i + 1).split(" ");
  if (parts.length > 2 || parts[0] === "") throw new Error(`bad value, ${where}`);
  const value = parseValue(parts[0], where);
  if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) throw new Error(`bad timestamp, ${where}`);
  return { name, labels, value };
}

function parseValue(text: string, where: string): number {
  // Prometheus parses values with Go's ParseFloat, which takes NaN and Inf in any letter case (prom-client
  // writes "Nan" for an event-loop histogram that has no sample yet).
  const lower = text.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad number ${text}, ${where}`);
  return Number(text);
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`bad HELP escape, ${where}`);
  });
}

function checkHistogram(fam: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of fam.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) {
      g = { buckets: [] };
      groups.set(key, g);
    }
    if (s.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${fam.name}: bucket without le`);
      g.buckets.push([parseValue(le, fam.name), s.value]);
    } else if (s.name.endsWith("_count")) g.count = s.value;
    else if (s.name.endsWith("_sum")) g.sum = s.value;
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${fam.name}${key}: missing _count or _sum`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i][0] > g.buckets[i - 1][0])) throw new Error(`${fam.name}${key}: le not increasing`);
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${fam.name}${key}: buckets not cumulative`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${fam.name}${key}: no +Inf bucket`);
    if (last[1] !== g.count) throw new Error(`${fam.name}${key}: +Inf bucket ${last[1]} != count ${g.count}`);
  }
}

/** Sum of the values of a family's samples named `sampleName` whose labels include `match`. */
export function sumOf(
  families: Map<string, Family>,
  family: string,
  match: Record<string, string> = {},
  sampleName = family,
): number {
  const fam = families.get(family);
  if (!fam) return 0;
  let total = 0;
  for (const s of fam.samples) {
    if (s.name !== sampleName) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}
