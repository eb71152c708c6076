import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real redis-server (Debian's package) on a Unix socket in a fresh temporary directory. */
export interface RedisServer {
  /** `unix:///…/redis.sock`, as `--cache-redis` takes it. */
  readonly url: string;
  readonly socketPath: string;
  /** SIGKILLs the server (the socket file stays, refusing connections). */
  kill(): Promise<void>;
  /** Starts a new server on the same socket (after {@link RedisServer.kill}). */
  restart(): Promise<void>;
  /** Kills it and removes the directory. */
  stop(): Promise<void>;
}

/** Whether `redis-server` is installed (`.ci/run` installs it; the tests fail in CI without it). */
export function haveRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function ping(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.setTimeout(500);
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      s.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Starts redis-server with no TCP port, no persistence, on a Unix socket; resolves once it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "mw-redis-"));
  const socketPath = join(dir, "redis.sock");
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const p = spawn(
      "redis-server",
      ["--port", "0", "--unixsocket", socketPath, "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: "ignore" },
    );
    proc = p;
    const end = Date.now() + 10_000;
    while (!(await ping(socketPath))) {
      if (p.exitCode !== null || Date.now() > end) throw new Error("redis-server did not start");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    url: `unix://${socketPath}`,
    socketPath,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
