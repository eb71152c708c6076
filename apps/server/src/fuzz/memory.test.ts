import { describe, expect, it } from "vitest";
import { heapFloors } from "./campaign.js";
import { gaugeValue, type MemorySample } from "./memory.js";

const sample = (atSeconds: number, heapMiB: number): MemorySample => ({
  atSeconds,
  rssBytes: 0,
  heapUsedBytes: heapMiB * 2 ** 20,
  heapTotalBytes: 0,
  externalBytes: 0,
});

describe("the campaign's memory samples", () => {
  it("reads a gauge from prom-client's exposition text, labelled or not", () => {
    const text = [
      "# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.",
      "# TYPE nodejs_heap_size_used_bytes gauge",
      "nodejs_heap_size_used_bytes 12345678",
      'nodejs_heap_space_size_used_bytes{space="old"} 42',
      "nodejs_external_memory_bytes 1.5e+6",
    ].join("\n");
    expect(gaugeValue(text, "nodejs_heap_size_used_bytes")).toBe(12345678);
    expect(gaugeValue(text, "nodejs_heap_space_size_used_bytes")).toBe(42);
    expect(gaugeValue(text, "nodejs_external_memory_bytes")).toBe(1.5e6);
    expect(gaugeValue(text, "nodejs_heap_size_total_bytes")).toBeNaN();
  });

  it("the heap floors are each third's lowest sample while inputs flowed, not the first and last samples", () => {
    const heaps = [1, 30, 12, 40, 14, 50, 16, 60, 18, 2];
    expect(heapFloors(heaps.map((h, i) => sample(i, h)))).toBe("12.0 / 14.0 / 16.0 MiB");
    expect(heapFloors(heaps.slice(0, 6).map((h, i) => sample(i, h)))).toBe("too few samples to tell");
  });
});
