import { execFileSync, spawnSync } from "node:child_process";

/**
 * Several "hosts" on one Linux machine for tests: network namespaces, each joined by a veth pair to a bridge in
 * this namespace that only these hosts and the server address are on (no route out, no NAT). Needs root and
 * iproute2; {@link netnsUnavailable} says why not when they are missing.
 */
export interface NetnsHosts {
  /** The address the server binds in this namespace (the bridge's). */
  readonly serverAddress: string;
  readonly hosts: ReadonlyArray<{ name: string; address: string }>;
  /** The command prefix that runs a program inside host `i`. */
  exec(i: number): string[];
  /** Deletes the namespaces, the veths and the bridge (never throws). */
  close(): void;
}

/** Why network namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (process.getuid?.() !== 0) return "creating network namespaces needs root";
  const ip = spawnSync("ip", ["-V"], { encoding: "utf8" });
  if (ip.status !== 0) return "iproute2 (ip) is not installed";
  const probe = `mwp${process.pid % 100000}`;
  const add = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return undefined;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/**
 * Creates `n` hosts on a private /24 (10.x.y.0, picked from the process id so parallel runs differ): the bridge is
 * .1, host i is .(10 + i). Names carry the process id, so several test runs on one machine do not collide.
 */
export function createNetnsHosts(n: number): NetnsHosts {
  const tag = String(process.pid % 100000);
  const net = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
  const bridge = `mwbr${tag}`;
  const hosts = Array.from({ length: n }, (_, i) => ({ name: `mwag${tag}-${i}`, address: `${net}.${10 + i}` }));
  const cleanups: Array<() => void> = [];
  const close = () => {
    for (const c of cleanups.reverse().splice(0)) {
      try {
        c();
      } catch {
        // already gone
      }
    }
  };
  try {
    ip("link", "add", bridge, "type", "bridge");
    cleanups.push(() => ip("link", "del", bridge));
    ip("addr", "add", `${net}.1/24`, "dev", bridge);
    ip("link", "set", bridge, "up");
    for (const [i, h] of hosts.entries()) {
      ip("netns", "add", h.name);
      cleanups.push(() => ip("netns", "del", h.name));
      const outside = `mwv${tag}o${i}`;
      ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", h.name);
      cleanups.push(() => ip("link", "del", outside));
      ip("link", "set", outside, "master", bridge);
      ip("link", "set", outside, "up");
      ip("-n", h.name, "addr", "add", `${h.address}/24`, "dev", "eth0");
      ip("-n", h.name, "link", "set", "eth0", "up");
      ip("-n", h.name, "link", "set", "lo", "up");
    }
  } catch (e) {
    close();
    throw e;
  }
  return {
    serverAddress: `${net}.1`,
    hosts,
    exec: (i) => ["ip", "netns", "exec", hosts[i].name],
    close,
  };
}
