import { hostname } from "node:os";
import type { GenerateRequestInit } from "@modelwire/core";
import type { Fleet } from "../fleet.js";
import type { Progress } from "../progress.js";
import type { Scenario } from "../result.js";
import type { WorkItem } from "../stream-call.js";
import type { AgentInfo } from "./agent-result.js";
import { type AgentSpec, shareScenario } from "./agent-share.js";
import { probeClockOffset } from "./clock-probe.js";
import { createWindowSchedule, type WindowSchedule } from "./window-schedule.js";

/** An agent ready to run its windows: its plan and what its result says about it. */
export interface PreparedAgent {
  schedule: WindowSchedule;
  info: AgentInfo;
}

/** The scenarios as this agent runs them (its share of each), or as configured without agents. */
export function agentScenarios(scenarios: readonly Scenario[], agent: AgentSpec | undefined): Scenario[] {
  return agent ? scenarios.map((s) => shareScenario(s, agent)) : [...scenarios];
}

function probeRequest(item: WorkItem | undefined, model: string): GenerateRequestInit {
  if (item && (item.kind === undefined || item.kind === "generate")) return { ...item.request, prompt: "clock" };
  return { model, prompt: "clock" };
}

/**
 * Measures this agent's clock against the server (over the first transport whose replies carry a timestamp) and
 * plans its windows from the common start. Says when the start has already passed: the agent then starts at once
 * and its windows report how late they began.
 */
export async function prepareAgent(
  agent: AgentSpec,
  fleet: Fleet,
  first: { scenario: Scenario; work: (seq: number) => WorkItem },
  progress: Progress,
): Promise<PreparedAgent> {
  const request = probeRequest(first.work(0), first.scenario.workload.model);
  let clock: AgentInfo["clock"];
  for (const t of fleet.active) {
    clock = await probeClockOffset(t.client, request, t.transport.name);
    if (clock) break;
  }
  const startAt = new Date(agent.startAtMs).toISOString();
  const inMs = agent.startAtMs - Date.now();
  // The windows follow the plan from here on: the progress counts the wait for the start and the gaps.
  progress.startsAt(inMs, agent.gapMs);
  progress.line(
    `agent ${agent.index} of ${agent.count}: clock ${clock ? `${clock.offsetMs >= 0 ? "+" : ""}${clock.offsetMs.toFixed(1)} ms (± ${clock.uncertaintyMs.toFixed(1)}) against the server via ${clock.via}` : "offset not measured (no reply carried a timestamp)"}; start ${startAt} ${inMs >= 0 ? `in ${(inMs / 1000).toFixed(1)} s` : `passed ${(-inMs / 1000).toFixed(1)} s ago: starting at once`}`,
  );
  return {
    schedule: createWindowSchedule(agent.startAtMs, agent.gapMs),
    info: {
      count: agent.count,
      index: agent.index,
      startAt,
      startAtMs: agent.startAtMs,
      gapMs: agent.gapMs,
      host: hostname(),
      pid: process.pid,
      ...(clock ? { clock } : {}),
    },
  };
}
