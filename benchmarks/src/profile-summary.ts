/** Summarizes a V8 `.cpuprofile`: self time by function and by module group (protobuf-es, mcp-codec, GC, ...). */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
/** The parts of a `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One line of the summary. */
export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  readonly percent: number;
}

/** Which part of the stack a frame belongs to, from its script URL. */
export function groupOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "gc";
  if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName;
  if (url.startsWith("node:internal/modules")) return "module loading (startup)";
  if (url.includes("@bufbuild/protobuf")) return "protobuf-es";
  if (url.includes("mcp-codec")) return "mcp-codec";
  if (url.includes("packages/http")) return "http (ollama json shapes)";
  if (url.includes("avsc")) return "avsc";
  if (url.includes("msgpackr")) return "msgpackr";
  if (url.includes("tinybench")) return "tinybench";
  if (url.includes("benchmarks/src")) return "benchmarks";
  if (url.startsWith("node:") || url === "") return "node/v8 builtins";
  return "other";
}

/** Self time per sample node, from `samples`/`timeDeltas` (exact) or `hitCount` spread evenly. */
function selfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
    // timeDeltas[i] is the gap before sample i; attribute each gap to the sample that ends it.
    for (let i = 0; i < p.samples.length; i++)
      self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + Math.max(0, p.timeDeltas[i]));
    return self;
  }
  const hits = p.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const per = hits > 0 ? (p.endTime - p.startTime) / hits : 0;
  for (const n of p.nodes) self.set(n.id, (n.hitCount ?? 0) * per);
  return self;
}

/** Self time aggregated by `key(frame)`, largest first, in ms and percent of the profile. */
export function summarize(p: CpuProfile, key: (f: CallFrame) => string): ProfileEntry[] {
  const self = selfTimes(p);
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const byKey = new Map<string, number>();
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    if (us === 0) continue;
    const k = key(n.callFrame);
    byKey.set(k, (byKey.get(k) ?? 0) + us);
  }
  return [...byKey.entries()]
    .map(([name, us]) => ({ name, selfMs: us / 1000, percent: (us / total) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** `functionName file:line` of a frame. */
export function frameName(f: CallFrame): string {
  const file = f.url.split("/").slice(-2).join("/") || "(native)";
  return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
}

/** Reads a profile file. */
export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
}
