import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseBenchArgs } from "../cli.js";
import { createStrictValidator } from "../test-support/k8s-strict-schema.js";
import { targetUnsupported } from "../test-support/target-support.js";

/**
 * deploy/kubernetes checked statically: every object against the Kubernetes API schemas (kubernetes-models'
 * validators, compiled from the API's OpenAPI definitions: types, required fields, enums) and against a strict
 * schema derived from the same definitions' field lists (k8s-strict-schema.ts: an unknown or misspelt field fails,
 * which the OpenAPI schemas allow), and the run's wiring (Indexed Job ↔ agent flags,
 * probes ↔ gateway ports, knobs ↔ params.env). Nothing here runs on a cluster.
 */
const DIR = fileURLToPath(new URL("../../../../deploy/kubernetes/", import.meta.url));

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
};

/** The kinds above, checked field by field: every field the object has must be one the API defines. */
const strict = createStrictValidator(
  Object.keys(MODELS).map((key) => {
    const kind = key.slice(key.lastIndexOf("/") + 1);
    const apiVersion = key.slice(0, key.lastIndexOf("/"));
    return { apiVersion, kind, module: `kubernetes-models/${apiVersion}`, type: `I${kind}` };
  }),
);

/** Validates one object against its API schema (kubernetes-models); throws naming the object and the error. */
function validateApi(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`${o.apiVersion} ${o.kind} ${o.metadata?.name}: no schema here for this kind`);
  try {
    new Model(o as never).validate();
  } catch (e) {
    throw new Error(`${o.kind} ${o.metadata?.name}: ${(e as Error).message}`);
  }
}

/** Validates one object against its API schema and the strict field lists; throws naming the object and fields. */
function validate(o: K8sObject): void {
  validateApi(o);
  const problems = strict.check(o);
  if (problems.length > 0)
    throw new Error(`${o.kind} ${o.metadata?.name}: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`);
}

function parseYaml(text: string, file: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS() as K8sObject;
  });
}

async function manifests(): Promise<Map<string, K8sObject[]>> {
  const out = new Map<string, K8sObject[]>();
  for (const f of (await readdir(DIR)).filter((x) => x.endsWith(".yaml") && x !== "kustomization.yaml").sort())
    out.set(f, parseYaml(await readFile(join(DIR, f), "utf8"), f));
  return out;
}

async function params(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await readFile(join(DIR, "params.env"), "utf8")).split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function find(objs: Iterable<K8sObject[]>, kind: string, name: string): K8sObject {
  for (const list of objs) for (const o of list) if (o.kind === kind && o.metadata.name === name) return o;
  throw new Error(`no ${kind} ${name}`);
}

type Any = any;

/** Whether `kubectl kustomize` can render here (kubectl with kustomize v4+ for `replacements`). */
/** The agent pods measure the gateway Service with --target (issue 13): their command parses once it exists. */
const noTarget = await targetUnsupported();

const kustomize = spawnSync("kubectl", ["kustomize", DIR], { encoding: "utf8" });
const canRender = kustomize.status === 0;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("deploy/kubernetes", () => {
  it("every manifest is valid against the Kubernetes API schemas, and the validator does catch mistakes", async () => {
    const all = await manifests();
    expect([...all.keys()]).toEqual([
      "bench-agents-job.yaml",
      "bench-merge-job.yaml",
      "gateway.yaml",
      "namespace.yaml",
      "results-pvc.yaml",
    ]);
    for (const list of all.values()) for (const o of list) validate(o);
    // The same validator refuses a string where the API wants an integer, and a container without a name.
    const job = structuredClone(find(all.values(), "Job", "bench-agents")) as Any;
    job.spec.parallelism = "3";
    expect(() => validate(job)).toThrow("parallelism must be integer");
    const noName = structuredClone(find(all.values(), "Deployment", "modelwire-gateway")) as Any;
    delete noName.spec.template.spec.containers[0].name;
    expect(() => validate(noName)).toThrow("containers/0 must have required property name");
  });

  it("a misspelt or unknown field fails at any depth, naming its path (the API's OpenAPI schemas let it pass)", async () => {
    const all = await manifests();
    const misspell = (kind: string, name: string, edit: (o: Any) => void) => {
      const o = structuredClone(find(all.values(), kind, name)) as Any;
      edit(o);
      return o as K8sObject;
    };
    const cases: Array<[K8sObject, string]> = [
      [
        misspell("Deployment", "modelwire-gateway", (o) => {
          o.spec.template.spec.containers[0].imagePullPolcy = "IfNotPresent";
        }),
        "spec.template.spec.containers.0.imagePullPolcy is not a field of IContainer",
      ],
      [
        misspell("Deployment", "modelwire-gateway", (o) => {
          o.spec.template.spec.containers[0].readinessProbe.grpc.sevice = "x";
        }),
        "readinessProbe.grpc.sevice is not a field of IGRPCAction",
      ],
      [
        misspell("Job", "bench-agents", (o) => {
          o.spec.completionsMode = "Indexed";
        }),
        "spec.completionsMode is not a field of IJobSpec",
      ],
      [
        misspell("Service", "modelwire-gateway", (o) => {
          o.spec.ports[0].targetport = "http";
        }),
        "spec.ports.0.targetport is not a field of IServicePort",
      ],
      [
        misspell("PersistentVolumeClaim", "bench-results", (o) => {
          o.metadata.label = { a: "b" };
        }),
        "metadata.label is not a field of IObjectMeta",
      ],
    ];
    for (const [o, message] of cases) {
      expect(() => validateApi(o)).not.toThrow();
      expect(() => validate(o)).toThrow(message);
    }
    // Free-form maps stay free-form: labels, annotations, resource quantities and ConfigMap data take any key.
    const labelled = misspell("Deployment", "modelwire-gateway", (o) => {
      o.metadata.labels = { ...o.metadata.labels, "example.com/any-key": "v" };
      o.spec.template.spec.containers[0].resources = { limits: { "example.com/gpu": "1" } };
    });
    expect(strict.check(labelled)).toEqual([]);
    expect(
      strict.check({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { ANY_KEY: "1" } }),
    ).toEqual([]);
    expect(strict.check({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } })[0].message).toBe(
      "no schema here for v1 Pod",
    );
  }, 120_000);

  it("the kustomization lists every manifest, and the knobs the pods read are in params.env", async () => {
    const k = parseYaml(await readFile(join(DIR, "kustomization.yaml"), "utf8"), "kustomization.yaml")[0] as Any;
    const files = (await readdir(DIR)).filter((x) => x.endsWith(".yaml") && x !== "kustomization.yaml");
    expect([...k.resources].sort()).toEqual(files.sort());
    expect(k.configMapGenerator[0]).toMatchObject({ name: "bench-params", envs: ["params.env"] });
    expect(k.replacements[0].source).toMatchObject({
      kind: "ConfigMap",
      name: "bench-params",
      fieldPath: "data.AGENTS",
    });
    expect(k.replacements[0].targets[0].fieldPaths).toEqual(["spec.parallelism", "spec.completions"]);
    const p = await params();
    const all = await manifests();
    for (const name of ["bench-agents", "bench-merge"]) {
      const pod = (find(all.values(), "Job", name) as Any).spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const script: string = c.args.join(" ");
        const declared = new Set([...(c.env ?? []).map((e: Any) => e.name), ...Object.keys(p), "waited", "rc"]);
        const used = [...script.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]);
        expect(used.filter((v) => !declared.has(v) && !script.includes(`\${${v}:-`))).toEqual([]);
      }
    }
  });

  it("bench agents are one Indexed Job: pod I is --agent-index I of --agents N, from one start, results shared", async () => {
    const all = await manifests();
    const p = await params();
    const job = find(all.values(), "Job", "bench-agents") as Any;
    expect(job.spec.completionMode).toBe("Indexed");
    // The file's defaults agree with params.env (kustomize sets both from AGENTS).
    expect(job.spec.parallelism).toBe(Number(p.AGENTS));
    expect(job.spec.completions).toBe(Number(p.AGENTS));
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    const c = pod.containers[0];
    expect(c.env.find((e: Any) => e.name === "JOB_COMPLETION_INDEX").valueFrom.fieldRef.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    const script: string = c.args[0];
    for (const flag of [
      '--agents "$AGENTS"',
      '--agent-index "$JOB_COMPLETION_INDEX"',
      '--start-at "$START_AT"',
      '--run-id "$RUN_ID"',
      '--out "/results/agent-$JOB_COMPLETION_INDEX"',
      "--worker-mode process",
    ])
      expect(script).toContain(flag);
    expect(c.volumeMounts[0]).toEqual({ name: "results", mountPath: "/results" });
    expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe("bench-results");
    const pvc = find(all.values(), "PersistentVolumeClaim", "bench-results") as Any;
    expect(pvc.spec.accessModes).toEqual(["ReadWriteMany"]);
    const merge = find(all.values(), "Job", "bench-merge") as Any;
    expect(merge.spec.template.spec.containers[0].args[0]).toContain(
      "--report-from /results/agent-*/bench.json --out /results/merged",
    );
    expect(new Date(p.START_AT).toISOString()).toBe(p.START_AT.replace("Z", ".000Z"));
  });

  it.skipIf(noTarget !== undefined)(
    "the agent pod's command is a valid bench command line once the knobs are filled in",
    async () => {
      const all = await manifests();
      const p = await params();
      const script: string = (find(all.values(), "Job", "bench-agents") as Any).spec.template.spec.containers[0]
        .args[0];
      const env: Record<string, string> = { ...p, JOB_COMPLETION_INDEX: "2", MODELWIRE_AUTH_TOKEN: "t0ken" };
      // The shell's part: expand $VARS, split words (quoted expansions stay one word), stop at the first ';'.
      const words = [...script.split(";")[0].matchAll(/"([^"]*)"|(\S+)/g)].flatMap((m) => {
        const expand = (w: string) => w.replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, v: string) => env[v] ?? "");
        return m[1] !== undefined ? [expand(m[1])] : expand(m[2]).split(/\s+/).filter(Boolean);
      });
      expect(words.slice(0, 2)).toEqual(["modelwire", "bench"]);
      const parsed = await parseBenchArgs(words.slice(2));
      expect(parsed.config.agent).toEqual({
        count: Number(p.AGENTS),
        index: 2,
        startAtMs: Date.parse(p.START_AT),
        gapMs: 1000,
      });
      expect(parsed.config.runId).toBe(p.RUN_ID);
      expect(parsed.config.workerMode).toBe("process");
      expect(parsed.config.workers).toBe(Number(p.WORKERS));
      expect(parsed.config.scenarios[0].load).toEqual({ mode: "closed", concurrency: Number(p.CONCURRENCY) });
    },
  );

  it("the gateway is alive by /healthz and ready by gRPC health, and its Service exposes every listener", async () => {
    const all = await manifests();
    const dep = find(all.values(), "Deployment", "modelwire-gateway") as Any;
    const c = dep.spec.template.spec.containers[0];
    const admin = c.ports.find((x: Any) => x.name === "admin").containerPort;
    expect(c.args).toContain(`--admin-port=${admin}`);
    expect(c.args).toContain("--admin-host=0.0.0.0"); // the kubelet probes the pod's address
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "admin" });
    // Readiness is gRPC health (a kubelet gRPC probe speaks h2c to the Connect listener).
    const connect = c.ports.find((x: Any) => x.name === "connect").containerPort;
    expect(c.readinessProbe.grpc).toEqual({ port: connect, service: "modelwire.v1.InferenceService" });
    expect(c.env[0].valueFrom.secretKeyRef).toEqual({ name: "gateway-token", key: "MODELWIRE_AUTH_TOKEN" });
    const svc = find(all.values(), "Service", "modelwire-gateway") as Any;
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    for (const port of c.ports)
      expect(svc.spec.ports.find((x: Any) => x.targetPort === port.name)?.port).toBe(port.containerPort);
    for (const flag of ["http", "connect", "mcp"])
      expect(c.args).toContain(`--${flag}-port=${c.ports.find((x: Any) => x.name === flag).containerPort}`);
  });

  it.skipIf(!canRender)(
    "kustomize renders objects that are valid, and AGENTS sizes the Job (needs kubectl with kustomize v4+)",
    async () => {
      const rendered = parseYaml(kustomize.stdout, "kubectl kustomize");
      expect(rendered.map((o) => o.kind).sort()).toEqual(
        ["ConfigMap", "Deployment", "Job", "Job", "Namespace", "PersistentVolumeClaim", "Secret", "Service"].sort(),
      );
      for (const o of rendered) validate(o);
      const d = await mkdtemp(join(tmpdir(), "k8s-"));
      dirs.push(d);
      await cp(DIR, d, { recursive: true });
      const p = await readFile(join(d, "params.env"), "utf8");
      await writeFile(join(d, "params.env"), p.replace(/^AGENTS=.*$/m, "AGENTS=7"));
      const seven = parseYaml(execFileSync("kubectl", ["kustomize", d], { encoding: "utf8" }), "kubectl kustomize");
      const job = find([seven], "Job", "bench-agents") as Any;
      validate(job);
      expect([job.spec.parallelism, job.spec.completions]).toEqual([7, 7]);
      // Generated names (hash suffixes) are followed by the pods that use them.
      const cm = find([seven], "ConfigMap", job.spec.template.spec.containers[0].envFrom[0].configMapRef.name) as Any;
      expect(cm.data.AGENTS).toBe("7");
    },
  );
});
