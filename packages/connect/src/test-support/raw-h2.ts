import * as http2 from "node:http2";

/** What a raw HTTP/2 gRPC exchange returned. */
export interface RawResponse {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** `grpc-status` from the trailers or a trailers-only response, as a number. */
  grpcStatus: number | undefined;
  grpcMessage: string | undefined;
}

/** Sends one raw request on a fresh HTTP/2 connection and collects the whole response. */
export async function rawH2Request(
  url: string,
  path: string,
  body: Buffer,
  headers: http2.OutgoingHttpHeaders = {},
): Promise<RawResponse> {
  const session = http2.connect(url);
  session.on("error", () => {});
  try {
    return await new Promise<RawResponse>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        ...headers,
      });
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (head = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("error", reject);
      stream.on("close", () => {
        const st = trailers["grpc-status"] ?? head["grpc-status"];
        const msg = trailers["grpc-message"] ?? head["grpc-message"];
        resolve({
          status: Number(head[":status"]),
          headers: head,
          trailers,
          body: Buffer.concat(chunks),
          grpcStatus: st === undefined ? undefined : Number(st),
          grpcMessage: msg === undefined ? undefined : decodeURIComponent(String(msg)),
        });
      });
      stream.end(body);
    });
  } finally {
    session.close();
  }
}
