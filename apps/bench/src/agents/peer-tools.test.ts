import { fromBinary } from "@bufbuild/protobuf";
import { GenerateRequestSchema } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import {
  grpcGenerateFrame,
  ollamaGenerateBody,
  PeerOutputError,
  parseH2load,
  parseWrk,
  wrkPostScript,
} from "./peer-tools.js";

const WRK = `Running 10s test @ http://10.1.2.1:4000/api/generate
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.10ms    1.20ms  30.00ms   90.00%
    Req/Sec     3.10k   200.00     3.50k    70.00%
  31012 requests in 10.00s, 40.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3101.17
Transfer/sec:      4.01MB
`;

const H2LOAD = `starting benchmark...
finished in 11.00s, 2456.30 req/s, 1.10MB/s
requests: 24563 total, 24579 started, 24563 done, 24560 succeeded, 3 failed, 0 errored, 0 timeout
status codes: 24561 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 11.00MB (11534336) total
`;

describe("peer tool summaries", () => {
  it("reads wrk's rate, count and every kind of failure", () => {
    expect(parseWrk(WRK)).toEqual({ tool: "wrk", requests: 31012, rps: 3101.17, failed: 7 });
    expect(parseWrk(WRK.replace(/ {2}Socket.*\n {2}Non.*\n/, "")).failed).toBe(0);
  });

  it("reads h2load's rate, successes and failures (its failed count includes errored and timeouts)", () => {
    expect(parseH2load(H2LOAD)).toEqual({ tool: "h2load", requests: 24560, rps: 2456.3, failed: 3 });
  });

  it("refuses output without a summary, quoting it", () => {
    expect(() => parseWrk("unable to connect to 10.1.2.1:4000 Connection refused")).toThrow(PeerOutputError);
    expect(() => parseH2load("finished in 1.00s, 0.00 req/s, 0B/s\n")).toThrow(/h2load printed no requests line/);
  });
});

describe("peer tool requests", () => {
  const request = { model: "m:latest", prompt: 'p "q"', options: { numPredict: 16, temperature: 0, seed: 42n } };

  it("an Ollama JSON body with the same options, and a wrk script that sends it as is", () => {
    const body = ollamaGenerateBody(request);
    expect(JSON.parse(body)).toEqual({
      model: "m:latest",
      prompt: 'p "q"',
      options: { num_predict: 16, temperature: 0, seed: 42 },
    });
    const lua = wrkPostScript(body);
    expect(lua).toContain('wrk.method = "POST"');
    expect(JSON.parse(lua.match(/wrk\.body = (.*)\n/)![1])).toBe(body);
  });

  it("a gRPC frame: flag 0, big-endian length, the request's protobuf", () => {
    const f = grpcGenerateFrame(request);
    expect(f[0]).toBe(0);
    const len = new DataView(f.buffer, f.byteOffset).getUint32(1);
    expect(len).toBe(f.length - 5);
    const back = fromBinary(GenerateRequestSchema, f.subarray(5));
    expect(back.prompt).toBe('p "q"');
    expect(back.options?.numPredict).toBe(16);
    expect(back.options?.seed).toBe(42n);
  });
});
