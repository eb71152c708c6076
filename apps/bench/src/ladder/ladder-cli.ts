import { createProgress } from "../progress.js";
import { type LadderConfig, runLadder } from "./ladder.js";
import { writeLadderReports } from "./ladder-report.js";

/** Runs `modelwire bench --ladder`, writes its reports, prints the recommendation; resolves to the exit code. */
export async function runLadderCli(
  ladder: Omit<LadderConfig, "progress">,
  out: { argv?: string[]; outDir: string; quiet: boolean },
): Promise<number> {
  const progress = createProgress({ quiet: out.quiet });
  try {
    const result = await runLadder({ ...ladder, progress });
    if (out.argv) result.command = out.argv;
    const paths = await writeLadderReports(result, out.outDir);
    if (!out.quiet) {
      process.stdout.write(
        `\n${result.recommendation.join("\n")}\n\nreports: ${paths.markdown}, ${paths.html}, ${paths.json}\n`,
      );
    }
    return result.exitCode;
  } catch (e) {
    process.stderr.write(`modelwire bench --ladder failed: ${(e as Error).message}\n`);
    return 4;
  }
}
