import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { ChatRequestSchema, EmbedRequestSchema, GenerateRequestSchema } from "@modelwire/core";
import type { HangWatch } from "./hang-watch.js";
import { createRng, mutate, type Rng, randomBytes } from "./mutate.js";
import type { Outcome } from "./tally.js";

/** One gRPC/Connect input: request headers and the raw body. */
export interface GrpcInput {
  headers: http2.OutgoingHttpHeaders;
  body: Uint8Array;
}

const SERVICE = "/modelwire.v1.InferenceService/";
const METHODS = ["Generate", "Chat", "Embed", "Version", "ListModels", "ShowModel", "Nope"];
const CONTENT_TYPES = [
  "application/grpc",
  "application/grpc+proto",
  "application/grpc-web+proto",
  "application/grpc-web-text",
  "application/connect+proto",
  "application/connect+json",
  "application/proto",
  "application/json",
  "text/plain",
  "application/grpc+json",
];
const TIMEOUTS = ["1S", "99999999H", "0m", "100000000m", "1x", "-1S", "", "5", "9999999999n", "1.5S"];

/** An envelope (flag byte, u32 length, message), optionally lying about its length. */
function envelope(rng: Rng, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  out[0] = rng.next() < 0.85 ? 0 : rng.pick([1, 2, 0x80, 0xff]);
  const len = rng.next() < 0.85 ? message.length : rng.pick([0xffffffff, message.length + 1, 0, 4 * 1024 * 1024 + 1]);
  new DataView(out.buffer).setUint32(1, len >>> 0);
  out.set(message, 5);
  return out;
}

/**
 * gRPC, gRPC-Web and Connect inputs on HTTP/2: a random method and content type, now and then a malformed
 * `grpc-timeout`, `connect-timeout-ms` or `grpc-encoding`, and a body that is a valid request's envelope, a mutated
 * one, random bytes, or an envelope with a lying length.
 */
export function createGrpcInputs(seed: number): (i: number) => GrpcInput {
  const rng = createRng(seed);
  const valid = [
    toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { model: "synthetic", prompt: "why" })),
    toBinary(
      ChatRequestSchema,
      create(ChatRequestSchema, { model: "synthetic", messages: [{ role: "user", content: "hi" }] }),
    ),
    toBinary(EmbedRequestSchema, create(EmbedRequestSchema, { model: "synthetic", input: ["a"] })),
  ];
  return (i) => {
    const headers: http2.OutgoingHttpHeaders = {
      ":method": rng.next() < 0.95 ? "POST" : rng.pick(["GET", "PUT"]),
      ":path": SERVICE + rng.pick(METHODS),
      "content-type": rng.pick(CONTENT_TYPES),
      te: "trailers",
    };
    if (rng.next() < 0.3) headers["grpc-timeout"] = rng.pick(TIMEOUTS);
    if (rng.next() < 0.1) headers["connect-timeout-ms"] = rng.pick(["1000", "-5", "99999999999", "x"]);
    if (rng.next() < 0.1) headers["grpc-encoding"] = rng.pick(["gzip", "identity", "br", "nope"]);
    if (rng.next() < 0.05) headers["connect-protocol-version"] = rng.pick(["1", "2", ""]);
    const msg = rng.pick(valid);
    const body =
      i % 4 === 0
        ? envelope(rng, msg)
        : i % 4 === 1
          ? envelope(rng, mutate(rng, msg))
          : i % 4 === 2
            ? mutate(rng, envelope(rng, msg))
            : randomBytes(rng, rng.int(64));
    return { headers, body };
  };
}

/** HTTP/2 sessions to the Connect/gRPC port, reopened when one closes; counts sessions that ended in an error. */
export interface GrpcSessions {
  send(input: GrpcInput, hang: HangWatch): Promise<Outcome>;
  /** Sessions that got a GOAWAY with an error code or failed: a bad stream must not take its session down. */
  readonly sessionErrors: number;
  close(): void;
}

/** Opens `n` sessions to `url` and spreads the inputs over them (many streams in flight on each). */
export function createGrpcSessions(url: string, n: number): GrpcSessions {
  let sessionErrors = 0;
  let next = 0;
  const open = (): http2.ClientHttp2Session => {
    const s = http2.connect(url);
    s.on("error", () => sessionErrors++);
    s.on("goaway", (code) => {
      if (code !== http2.constants.NGHTTP2_NO_ERROR) sessionErrors++;
    });
    return s;
  };
  const sessions = Array.from({ length: n }, open);
  // Every input has a body, whatever its method: without endStream false, node:http2 ends a GET's stream with its
  // headers, and writing the body then fails the stream on the client (ERR_STREAM_WRITE_AFTER_END) before any
  // response — what the campaign used to count as 2.3 % of gRPC streams "reset before a response".
  const requestOptions: http2.ClientSessionRequestOptions = { endStream: false };
  return {
    get sessionErrors() {
      return sessionErrors;
    },
    send(input, hang) {
      const k = next++ % n;
      if (sessions[k].closed || sessions[k].destroyed) sessions[k] = open();
      const session = sessions[k];
      return new Promise<Outcome>((resolve) => {
        let stream: http2.ClientHttp2Stream;
        try {
          stream = session.request(input.headers, requestOptions);
        } catch {
          // The session went away between the check and the request (a GOAWAY): try again on a new one.
          sessions[k] = open();
          stream = sessions[k].request(input.headers, requestOptions);
        }
        let status: number | undefined;
        let done = false;
        const finish = (o: Outcome) => {
          if (done) return;
          done = true;
          stop();
          if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
          resolve(o);
        };
        const stop = hang.watch(() => finish({ kind: "hang" }));
        stream.on("response", (h) => (status = Number(h[":status"])));
        stream.on("error", () => finish({ kind: "answered", status, reset: status === undefined }));
        stream.on("close", () => finish({ kind: "answered", status, reset: status === undefined }));
        stream.resume();
        stream.end(input.body);
      });
    },
    close() {
      for (const s of sessions) s.destroy();
    },
  };
}
