import { parseBenchArgs } from "../cli.js";

/**
 * Why tests that measure a server started elsewhere (`bench --target`, issue 13) cannot run in this build, or
 * undefined when they can: the bench agents' process and Kubernetes tests drive one gateway through it.
 */
export async function targetUnsupported(): Promise<string | undefined> {
  try {
    await parseBenchArgs(["--target", "http=http://127.0.0.1:9", "--admin", "http://127.0.0.1:9"]);
    return undefined;
  } catch (e) {
    return `bench --target/--admin are not in this build (${(e as Error).message.slice(0, 120)})`;
  }
}
