#!/usr/bin/env node
/**
 * Idle connections closed per listener, and how fast, at the gateway's default timeouts (issue 19, "Figures in the
 * note"). Starts the built gateway (apps/server/dist/main.js, loopback, ephemeral ports, an MCP Unix socket, every
 * limit and timeout at its default), opens N connections of each kind below that then send nothing more, and prints
 * per kind: closed/opened within the time limit (a connect that failed is not opened and is listed apart), time from the connection's last byte sent (or last reply read) to
 * the gateway closing it (min / p50 / max), and, after each phase, whether the gateway's connection gauges
 * (`/control/stats` servers.*.connections, what `modelwire_connections` reports) are back to 0.
 *
 * Kinds: MCP TCP and MCP Unix socket connected without HELLO, and after HELLO/WELCOME with no stream; the HTTP port
 * with no request, and keep-alive after one request; the Connect port with no byte, HTTP/2 preface + SETTINGS only,
 * HTTP/1.1 (sniffed) with headers never finished, and HTTP/1.1 keep-alive after one request. They run in phases so
 * that no listener holds more than 2,000 from this one address (`--max-connections-per-client` defaults to 2048).
 *
 * `--phase tls` instead starts the gateway with `--tls-cert`/`--tls-key` (the committed test certificates of
 * packages/test-kit/certs) and measures its TLS listeners, the Connect port (h2 and HTTP/1.1 by ALPN) and MCP over
 * TLS (the HTTP port has no TLS): TCP connected but no ClientHello; TLS handshake done, then nothing (h2: no preface;
 * HTTP/1.1: no request; MCP: no HELLO); HTTP/1.1 keep-alive after one request; MCP after HELLO/WELCOME, no stream.
 * It runs them in two phases of at most two kinds per listener. Without `--phase`, phases 1–3 run (not tls).
 *
 *   /work/tools/quiet node scripts/idle-close.mjs [--connections 1000] [--limit-s 120] [--main PATH] [--phase 1|2|3|tls]
 */
import { readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { parseArgs } from "node:util";
import { spawnGateway } from "./spawn-gateway.mjs";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    "limit-s": { type: "string", default: "120" },
    main: { type: "string" },
    phase: { type: "string" },
  },
});
const n = Number(values.connections);
const limitMs = Number(values["limit-s"]) * 1000;
if (!(Number.isInteger(n) && n > 0 && n <= 2000) || !(limitMs > 0)) {
  console.error("--connections must be 1..2000 and --limit-s > 0");
  process.exit(2);
}
if (![undefined, "1", "2", "3", "tls"].includes(values.phase)) {
  console.error("--phase must be 1, 2, 3 or tls");
  process.exit(2);
}
const tlsRun = values.phase === "tls";
/** The committed test certificates (packages/test-kit/certs: a CA and a server certificate for 127.0.0.1). */
const certs = (f) => new URL(`../packages/test-kit/certs/${f}`, import.meta.url).pathname;
let ca;
const testCa = () => {
  ca ??= readFileSync(certs("ca.pem"));
  return ca;
};
const main = values.main ?? new URL("../apps/server/dist/main.js", import.meta.url).pathname;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** The first vector of packages/mcp-codec/vectors/frames.json: a client HELLO (5 s heartbeat). */
const vectors = JSON.parse(readFileSync(new URL("../packages/mcp-codec/vectors/frames.json", import.meta.url), "utf8"));
const hello = Buffer.from(vectors.vectors.find((v) => v.name === "hello").hex, "hex");
const WELCOME = 2; // frame type byte (docs/mcp-wire.md §3)
/** HTTP/2 client connection preface: the magic, then an empty SETTINGS frame (RFC 9113 §3.4). */
const h2Preface = Buffer.concat([
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

/**
 * Opens one connection, sends `send`, waits for `replied(bytesSoFar)` if given, then stays idle. Resolves with the
 * milliseconds from then to the gateway closing it, or undefined if it is still open at `deadline`. With
 * `connect.tls` the connection is TLS (trusting the test CA) and counts as opened once the handshake is done, and
 * when `connect.tls` is a protocol name (ALPN), with that one negotiated; without it, plain TCP (to a TLS port: no
 * ClientHello).
 */
function idleOne(connect, send, replied, deadline, h2) {
  return new Promise((resolve) => {
    const { tls: secure, ...where } = connect;
    const alpn = typeof secure === "string" ? secure : undefined;
    const s = secure
      ? tls.connect({ ...where, ca: testCa(), ...(alpn ? { ALPNProtocols: [alpn] } : {}) })
      : net.connect(where);
    let idleSince = 0;
    let got = Buffer.alloc(0);
    let goaway = false;
    let error = "";
    let connected = false;
    const finish = (ms) => {
      clearTimeout(timer);
      s.destroy();
      // What came before the reply waited for, if the connection ended first: the client's error, the bytes read.
      const seen = got.length > 0 ? `${got.length} B read, ${printable(got)}` : "nothing read";
      resolve({ ms, goaway, connected, why: Number.isNaN(ms) ? `${error || "closed"}, ${seen}` : "" });
    };
    const timer = setTimeout(() => finish(undefined), Math.max(0, deadline - Date.now()));
    s.on(secure ? "secureConnect" : "connect", () => {
      if (alpn && s.alpnProtocol !== alpn) {
        error = `ALPN negotiated ${s.alpnProtocol || "nothing"}, not ${alpn}`;
        s.destroy();
        return;
      }
      connected = true;
      if (send) s.write(send);
      if (!replied) idleSince = performance.now();
    });
    s.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (h2 && !goaway) goaway = hasGoaway(got);
      if (replied && idleSince === 0 && replied(got)) idleSince = performance.now();
    });
    s.on("error", (e) => {
      error = e.code ?? e.message;
    });
    s.on("close", () => finish(idleSince > 0 ? performance.now() - idleSince : Number.NaN));
  });
}

/** Whether the HTTP/2 frames a server sent (no preface of its own: frames from byte 0) include a GOAWAY (type 7). */
function hasGoaway(b) {
  for (let at = 0; at + 9 <= b.length; at += 9 + b.readUIntBE(at, 3)) if (b[at + 3] === 7) return true;
  return false;
}

/** The readable runs of bytes (an MCP ERROR's message, an HTTP status line), for a report. */
const printable = (b) =>
  JSON.stringify(
    b
      .toString("latin1")
      .replace(/[^\x20-\x7e]+/g, " ")
      .trim()
      .slice(0, 120),
  );

const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
/** Width of the kind column: the longest kind name ("Connect port TLS: HTTP/1.1 keep-alive after one request"). */
const NAME_WIDTH = 56;

/** Opens `n` connections of a kind, 50 at a time, and waits for all of them. */
async function kind(name, connect, send, replied) {
  const deadline = Date.now() + limitMs;
  const pending = [];
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++)
      batch.push(idleOne(connect, send, replied, deadline, send === h2Preface || connect.tls === "h2"));
    pending.push(...batch);
    await pause(10); // spread the connects (the listen backlog is finite); each one's clock starts when it is idle
  }
  const all = await Promise.all(pending);
  // A connect that failed (e.g. EAGAIN: a Unix socket's backlog full while the gateway is busy) was never opened.
  const results = all.filter((r) => r.connected);
  const refused = new Map();
  for (const r of all.filter((x) => !x.connected)) refused.set(r.why, (refused.get(r.why) ?? 0) + 1);
  const closed = results.filter((r) => r.ms !== undefined && !Number.isNaN(r.ms)).map((r) => r.ms);
  closed.sort((a, b) => a - b);
  const s = (ms) => (ms / 1000).toFixed(2);
  const early = results.filter((r) => r.ms !== undefined && Number.isNaN(r.ms));
  const whys = new Map();
  for (const r of early) whys.set(r.why, (whys.get(r.why) ?? 0) + 1);
  const unreplied = early.length;
  const whyText = [...whys].map(([w, c]) => `${c} × ${w}`).join("; ");
  return {
    name,
    line:
      `${name.padEnd(NAME_WIDTH)} closed ${String(closed.length).padStart(4)}/${results.length}` +
      (closed.length ? `  in s: min ${s(closed[0])} p50 ${s(q(closed, 0.5))} max ${s(closed.at(-1))}` : "") +
      (unreplied ? `  (${unreplied} closed before the reply they waited for: ${whyText})` : "") +
      (refused.size ? `  (not opened: ${[...refused].map(([w, c]) => `${c} × ${w}`).join("; ")})` : "") +
      (results.some((r) => r.goaway) ? `  GOAWAY seen on ${results.filter((r) => r.goaway).length}` : ""),
  };
}

const sock = join(tmpdir(), `modelwire-idle-${process.pid}.sock`);
const { proc: gw, ready } = await spawnGateway(
  main,
  tlsRun ? ["--tls-cert", certs("server.pem"), "--tls-key", certs("server-key.pem")] : ["--mcp-socket", sock],
);
try {
  const url = (p) => new URL(ready.addresses.find((a) => a.protocol === p).url);
  const tcp = (p) => ({ host: url(p).hostname, port: Number(url(p).port) });
  const [mcp, http, connect] = tlsRun ? [] : [tcp("mcp-tcp"), tcp("http"), tcp("connect")];
  const admin = url("admin").origin;
  const gauges = async () => {
    const st = await (await fetch(`${admin}/control/stats`)).json();
    return Object.entries(st.servers).map(([k, v]) => `${k} ${v.connections}`);
  };
  /** After a phase: waits (at most 10 s) for every connection gauge to read 0. */
  const settled = async () => {
    const t0 = Date.now();
    let g = await gauges();
    while (g.some((x) => !x.endsWith(" 0")) && Date.now() - t0 < 10_000) {
      await pause(200);
      g = await gauges();
    }
    return `gauges (servers.*.connections): ${g.join(", ")}${g.every((x) => x.endsWith(" 0")) ? " — back to 0" : " — NOT 0"}`;
  };
  const welcomed = (b) => b.length >= 4 && b[3] === WELCOME;
  const oneResponse = (b) => {
    const text = b.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return false;
    if (/transfer-encoding: *chunked/i.test(text.slice(0, end))) return text.endsWith("\r\n0\r\n\r\n");
    const len = /content-length: *(\d+)/i.exec(text.slice(0, end));
    return len !== null && b.length >= end + 4 + Number(len[1]);
  };
  const get = (path) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  const started = new Date().toISOString();
  console.log(
    `idle-close: ${n} connections per kind, gateway defaults${tlsRun ? " + TLS" : ""} (${main}), limit ${limitMs / 1000} s, ${started}`,
  );
  // (A --phase tls run uses none of these: its kinds are in tlsPhases.)
  const phases = [
    [
      ["MCP TCP: connected, no HELLO", mcp],
      ["MCP Unix socket: connected, no HELLO", { path: sock }],
      ["HTTP: connected, no request", http],
      ["Connect port: connected, no byte", connect],
    ],
    [
      ["MCP TCP: after HELLO/WELCOME, no stream", mcp, hello, welcomed],
      ["MCP Unix socket: after HELLO/WELCOME, no stream", { path: sock }, hello, welcomed],
      ["HTTP: keep-alive after one GET /api/version", http, get("/api/version"), oneResponse],
      ["Connect port: HTTP/2 preface + SETTINGS only", connect, h2Preface],
    ],
    [
      [
        "Connect port: HTTP/1.1 (sniffed), headers never ended",
        connect,
        Buffer.from("POST /x HTTP/1.1\r\nHost: a\r\n"),
      ],
      [
        "Connect port: HTTP/1.1 keep-alive after one request",
        connect,
        get("/modelwire.v1.InferenceService/Version"),
        oneResponse,
      ],
    ],
  ];
  const only = tlsRun
    ? tlsPhases(tcp("mcp-tls"), tcp("connect"), get, welcomed, oneResponse)
    : values.phase === undefined
      ? phases
      : [phases[Number(values.phase) - 1]];
  for (const phase of only) {
    const rows = await Promise.all(phase.map(([name, where, send, replied]) => kind(name, where, send, replied)));
    for (const r of rows) console.log(`  ${r.line}`);
    console.log(`    ${await settled()}`);
  }
} finally {
  gw.kill("SIGKILL");
  rmSync(sock, { force: true });
}

/** The TLS kinds (`--phase tls`), two phases of at most two kinds per listener. */
function tlsPhases(mcpTls, connectTls, get, welcomed, oneResponse) {
  const h2 = { ...connectTls, tls: "h2" };
  const h1 = { ...connectTls, tls: "http/1.1" };
  const mcp = { ...mcpTls, tls: true }; // the MCP TLS listener offers no ALPN
  return [
    [
      ["Connect port TLS: TCP connected, no ClientHello", connectTls],
      ["MCP TLS: TCP connected, no ClientHello", mcpTls],
      ["Connect port TLS: h2 by ALPN, no preface", h2],
      ["MCP TLS: handshake done, no HELLO", mcp],
    ],
    [
      ["Connect port TLS: HTTP/1.1 by ALPN, no request", h1],
      [
        "Connect port TLS: HTTP/1.1 keep-alive after one request",
        h1,
        get("/modelwire.v1.InferenceService/Version"),
        oneResponse,
      ],
      ["MCP TLS: after HELLO/WELCOME, no stream", mcp, hello, welcomed],
    ],
  ];
}
