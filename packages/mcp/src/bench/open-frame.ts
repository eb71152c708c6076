/**
 * OPEN-frame encode + decode for a large request (`npm run perf:open`): a GenerateRequest carrying one image
 * (default 256 KiB; BENCH_IMAGE_KIB), measured side by side in one run with tinybench:
 *
 * - `protobuf-es`: bare `toBinary` + `fromBinary` of the GenerateRequest (the floor);
 * - `mcp two-step`: the client's former path (InferenceRequest in its own buffer, then `encodeOpenFrame` copies it),
 *   decoded as the server does (frame decoder, OPEN prefix, InferenceRequest view, `fromBinary`);
 * - `mcp toBinary`: `encodeGenerateOpenFrameSlow` (toBinary, then the InferenceRequest written into the frame buffer:
 *   the image copied twice), same decode;
 * - `mcp fused`: `encodeGenerateOpenFrame` (GenerateRequest written by hand straight into the frame buffer: one
 *   allocation, the image copied once), same decode;
 * - `mcp parts`: `encodeRequestOpenFrameParts` (what the client writes for inputs ≥ 64 KiB: no copy, writev); the
 *   decode side gets the parts as the kernel would deliver them (one contiguous buffer, built outside the timing).
 *
 * Cases run interleaved in BENCH_ROUNDS rounds (default 9) of a bounded number of iterations each; each figure is the
 * median (and the best) over rounds of the mean time per encode+decode, and its ratio to protobuf-es.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DataType, GenerateRequestSchema } from "@modelwire/core";
import { createFrameDecoder, decodeOpenPayload, encodeOpenFrame, Method } from "@modelwire/mcp-codec";
import {
  decodeInferenceRequest,
  encodeGenerateOpenFrame,
  encodeGenerateOpenFrameSlow,
  encodeInferenceRequest,
  encodeRequestOpenFrameParts,
} from "@modelwire/mcp-codec/internal";

const KIB = Math.min(Math.max(1, Number(process.env.BENCH_IMAGE_KIB ?? 256)), 16 * 1024);
const image = new Uint8Array(KIB * 1024);
for (let i = 0; i < image.length; i++) image[i] = (i * 131 + 17) & 0xff;
const req = create(GenerateRequestSchema, { model: "llava:7b", prompt: "What is in this picture?", images: [image] });

const decoder = createFrameDecoder({ maxFrameSize: 64 * 1024 * 1024 });
function decodeOpen(frame: Uint8Array) {
  decoder.push(frame);
  const f = decoder.next();
  if (!f || decoder.buffered !== 0) throw new Error("expected one whole frame");
  const ir = decodeInferenceRequest(decodeOpenPayload(f.payload).body);
  return fromBinary(GenerateRequestSchema, ir.inputData);
}

function twoStep(): Uint8Array {
  const model = req.model;
  req.model = "";
  const inner = toBinary(GenerateRequestSchema, req);
  req.model = model;
  return encodeOpenFrame(
    1,
    DataType.GENERATE_REQUEST,
    Method.Generate,
    0,
    encodeInferenceRequest(model, inner, undefined),
  );
}

function parts(): Uint8Array[] {
  const model = req.model;
  req.model = "";
  const inner = toBinary(GenerateRequestSchema, req);
  req.model = model;
  return encodeRequestOpenFrameParts(1, DataType.GENERATE_REQUEST, Method.Generate, 0, model, inner);
}
const partsJoined = Buffer.concat(parts());

let sink = 0;
const cases: [string, () => void][] = [
  [
    "protobuf-es",
    () => {
      sink += fromBinary(GenerateRequestSchema, toBinary(GenerateRequestSchema, req)).images.length;
    },
  ],
  [
    "mcp two-step",
    () => {
      sink += decodeOpen(twoStep()).images.length;
    },
  ],
  [
    "mcp toBinary",
    () => {
      sink += decodeOpen(encodeGenerateOpenFrameSlow(1, req)).images.length;
    },
  ],
  [
    "mcp fused",
    () => {
      sink += decodeOpen(encodeGenerateOpenFrame(1, req)).images.length;
    },
  ],
  [
    "mcp parts",
    () => {
      sink += parts().length + decodeOpen(partsJoined).images.length;
    },
  ],
];

const ROUNDS = Math.min(Math.max(1, Number(process.env.BENCH_ROUNDS ?? 9)), 31);
/** Iterations per round: about 20 ms of work at this size, bounded. */
const ITERS = Math.max(20, Math.min(5000, Math.round(20_000 / KIB)));
const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
for (const [, fn] of cases) for (let i = 0; i < ITERS; i++) fn(); // warm-up: compile every path
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of cases) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) fn();
    times.get(name)?.push(Number(process.hrtime.bigint() - t0) / ITERS / 1000);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const min = (xs: number[]) => Math.min(...xs);
const base = median(times.get("protobuf-es") ?? []);
const baseMin = min(times.get("protobuf-es") ?? []);
console.log(
  `OPEN frame encode+decode, GenerateRequest with a ${KIB} KiB image: median of ${ROUNDS} rounds x ${ITERS} (shared machine)`,
);
for (const [name] of cases) {
  const v = median(times.get(name) ?? []);
  const m = min(times.get(name) ?? []);
  console.log(
    `${name.padEnd(14)} median ${v.toFixed(2).padStart(8)} µs ${(v / base).toFixed(3)}x   best round ${m.toFixed(2).padStart(8)} µs ${(m / baseMin).toFixed(3)}x`,
  );
}
if (sink === 0) console.log("");
