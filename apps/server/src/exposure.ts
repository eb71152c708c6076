import { isIP } from "node:net";
import type { ListenAddress } from "@modelwire/core";

/**
 * True for a host that only this machine can reach: `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback
 * (`::ffff:127.x.y.z`). Brackets around an IPv6 literal are ignored. `0.0.0.0` and `::` (every interface) are not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const lower = h.toLowerCase();
  if (lower === "localhost" || lower.endsWith(".localhost")) return true;
  if (isIP(lower) === 4) return lower.startsWith("127.");
  if (isIP(lower) === 6) {
    if (lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped?.[1].startsWith("127.") ?? false;
  }
  return false;
}

/** The host of a ready-line address (`http://h:p`, `tcp://h:p`, `tls://h:p`); `undefined` for a Unix socket. */
export function hostOf(address: ListenAddress): string | undefined {
  if (address.url.startsWith("unix:")) return undefined;
  try {
    return new URL(address.url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * One warning per listener bound to an address other machines can reach with no token guarding it: a protocol
 * listener without `authToken`, the admin listener without `adminToken` or `authToken`. A Unix socket is never reported (its
 * file permissions guard it).
 */
export function exposureWarnings(
  addresses: readonly ListenAddress[],
  tokens: { authToken?: string; adminToken?: string },
): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const host = hostOf(a);
    if (host === undefined || isLoopbackHost(host)) continue;
    const admin = a.protocol === "admin";
    if ((admin ? (tokens.adminToken ?? tokens.authToken) : tokens.authToken) !== undefined) continue;
    const fix = admin
      ? "/control/* changes the engine with no token; set --admin-token or --auth-token, or bind --admin-host 127.0.0.1"
      : "anyone who can reach it may call the model; set --auth-token, or bind --host 127.0.0.1";
    out.push(
      `modelwire: warning: ${a.protocol} listens on ${a.url}, reachable from other machines, without a token: ${fix}`,
    );
  }
  return out;
}
