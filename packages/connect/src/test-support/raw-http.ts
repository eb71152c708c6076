import * as http from "node:http";
import * as http2 from "node:http2";

/** A whole raw HTTP exchange's response. */
export interface RawHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** HTTP/2 trailers (empty over HTTP/1.1 and when none came). */
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Sends one POST with exactly `body` and `headers` on a fresh connection, over HTTP/2 (prior knowledge) or
 * HTTP/1.1, and collects the whole response. Nothing is added to the request but what the HTTP version needs.
 */
export async function rawPost(
  url: string,
  httpVersion: "2" | "1.1",
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<RawHttpResponse> {
  if (httpVersion === "1.1") {
    return new Promise((resolve, reject) => {
      const req = http.request(`${url}${path}`, {
        method: "POST",
        headers: { ...headers, "content-length": String(body.length) },
        agent: false,
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: {}, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  }
  const session = http2.connect(url);
  session.on("error", () => {});
  try {
    return await new Promise<RawHttpResponse>((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": path, ...headers });
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (head = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("error", reject);
      stream.on("close", () =>
        resolve({ status: Number(head[":status"]), headers: head, trailers, body: Buffer.concat(chunks) }),
      );
      stream.end(body);
    });
  } finally {
    session.close();
  }
}
