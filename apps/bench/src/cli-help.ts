import { AGENT_HELP } from "./agents/agent-args.js";
import { PRESET_NAMES } from "./presets.js";
import { SCHEDULE_HELP } from "./schedule-args.js";
import { TRANSPORTS } from "./transports.js";
import { WORKER_HELP } from "./worker-spawn.js";
import { SHAPE_HELP } from "./workload-shape.js";

/** `modelwire bench --help`. */
export const BENCH_HELP = `modelwire bench — compare the wire protocols on the same engine

Usage: modelwire bench [options]
       modelwire bench --report-from a.json [b.json ...]   re-render (and merge) recorded results

Load
  --preset LIST          ${PRESET_NAMES.join(", ")} (comma list; default protocol-overhead,low)
                         low/normal/peak/burst = 50/200/800/1200 concurrent streams on a realistic engine
  --transports LIST      ${TRANSPORTS.map((t) => t.name).join(", ")}, or all (default all)
  --concurrency N        closed loop: N concurrent streams (overrides the preset)
  --rate R               open loop at R requests/s instead (latency timed from the intended send time)
  --arrival KIND         constant (default) or poisson, with --rate
  --max-in-flight N      open loop: cap on streams in flight (waits count as latency)
  --duration T           measured window per transport and round (default 5s; units ms, s, m; bare = s)
  --warmup T             warm-up before each window, excluded from figures (default 1s; 0 = none)
  --requests N           request cap per window (default 1000000)
  --repeats N            rounds, transports interleaved in each (default 3)
  --scenario FILE        JSON scenario(s): {name, workload:{...}, load:{mode,...}, durationMs, ...} merged over the preset
Workload
  --prompt-bytes N       prompt size (default 64)
  --tokens N             output tokens per stream (preset default)
  --image-bytes N        image payload per request (0 = none; base64 in JSON, raw bytes on binary wires)
${SHAPE_HELP}
${SCHEDULE_HELP}
  --ttft-ms MS, --inter-token-ms MS, --jitter F   synthetic engine knobs (set via /control/engine; refused with
                         --target/--upstream)
  --seed N               the synthetic engine's seed, and options.seed of every request to a real engine
Thresholds and sweep
  --slo LIST             e.g. 'ttft_p99<50ms,error_rate<0.1%' (metrics ttft, e2e, gap, tpot, stall with _p50.._p999,
                         _max, _mean; error_rate, goodput in %; rps, tokens_per_s). Breach → exit 1
  --sweep                after the scenarios, raise an open-loop rate until --sweep-slo breaks; report the knee
  --sweep-slo LIST       default 'ttft_p99<50ms,error_rate<1%'
  --sweep-start R, --sweep-factor F, --sweep-steps N, --sweep-step T   (defaults 250, 2, 6, 1s)
The ladder (the article's optimisation path, measured per wire; docs/bench.md)
  --ladder               instead of the comparison: (1) one call at a time, new connection each; (2) one at a
                         time, pooled; (3) --concurrency N (default 16); (4) N with the gateway's response cache;
                         (5) preloaded vs cold model. Writes DIR/ladder.{json,md,html}. --duration is per step
                         (default 2s), --warmup before each (default 500ms)
  --repeat-share F       ladder step 4: share of requests repeating a hot prompt, in [0, 1] (default 0.5)
  --cold-pairs N         ladder step 5: cold/preloaded call pairs (default 5)
Your own server (docs/bench.md, "Benchmark your own Ollama")
  --target T=ADDR        benchmark a server the bench did not start, repeatable: http=http://host:11434 (any
                         Ollama-compatible server), openai=http://host:port/v1, connect-grpc|connect|grpc-web=URL,
                         mcp-tcp=host:port (tls://host:port), mcp-uds=PATH (a modelwire gateway started elsewhere).
                         Only the targeted transports run (unless --transports says more); default preset target
  --upstream URL         start the gateway in front of this Ollama and add "direct" (the same HTTP client straight
                         to it) to every round: each wire's extra cost against the direct path. Repeat it for a
                         fleet: the gateway runs in front of all, each gets direct-N, and the report gives the
                         calls each upstream served and every wire's Δ against each direct-N
  --model NAME           model to ask for (default: the first one the target lists)
  --auth-token TOKEN     bearer / MCP token for the targets;  --ca FILE  trust this CA for https:// and tls://
  --admin [T=]URL        a modelwire admin listener to read /control/stats from (server CPU, RSS, bytes);
                         without it a target's server cost is "not measured (foreign server)";  --admin-token T
Processes
  --gateway PATH         gateway entry (default: @modelwire/server's GATEWAY_MAIN)
  --gateway-arg ARG      extra gateway flag, repeatable (e.g. --gateway-arg=--load-ms --gateway-arg=500)
  --server-cpus LIST     pin server processes with taskset -c LIST (e.g. 1)
  --connections N        client connections per transport where it pools
${WORKER_HELP}
${AGENT_HELP}
Output
  --out DIR              report directory (default ./reports): bench.json, bench.md, bench.html
  --serialization FILE   serialization micro-benchmark results to join (default DIR/serialization.json)
  --jsonl FILE           one JSON line per request
  --quiet                no progress output
  --help

Exit codes: 0 ok, 1 SLO breached, 2 usage error (also a target that is not the server it should be, or lacks the
model), 3 verification failed (tokens, or cross-wire consistency), 4 run failed (also a target that cannot be reached).
`;
