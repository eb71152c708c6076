import { ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveServeConfig, type ServeConfig } from "./config.js";
import type { UpstreamSpec } from "./fleet/upstream-spec.js";
import { type OptionSpec, SERVE_OPTIONS } from "./options.js";

/** A setting: an option and a valid value for it. */
type Setting = { spec: OptionSpec; value: boolean | number | string };

/** Printable ASCII without spaces (what a token or a host may hold), not starting with a dash. */
const word = fc
  .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1 })
  .filter((s) => !s.startsWith("-"))
  .map((s) => s.slice(0, 40));
const port = fc.integer({ min: 1, max: 65535 });
const origin = port.map((p) => `http://127.0.0.1:${p}`);

/** The upstream lists generated as text, with the specs each text stands for. */
const upstreamSpecs = new Map<string, UpstreamSpec[]>();
const upstreamList = fc
  .uniqueArray(
    fc.record({
      port,
      weight: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      maxStreams: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 4, selector: (u) => u.port },
  )
  .chain((list) =>
    fc.constantFrom(" ", ",", " , ").map((sep) => {
      const specs: UpstreamSpec[] = list.map((u) => ({
        url: `http://127.0.0.1:${u.port}`,
        weight: u.weight ?? 1,
        ...(u.maxStreams === undefined ? {} : { maxStreams: u.maxStreams }),
      }));
      const text = list
        .map((u) =>
          [
            `http://127.0.0.1:${u.port}`,
            ...(u.weight === undefined ? [] : [`weight=${u.weight}`]),
            ...(u.maxStreams === undefined ? [] : [`max-streams=${u.maxStreams}`]),
          ].join(sep),
        )
        .join(sep);
      upstreamSpecs.set(text, specs);
      return text;
    }),
  );

/** A valid value for one option, by its kind and bounds. */
function validValue(spec: OptionSpec): fc.Arbitrary<boolean | number | string> {
  if (spec.key === "adminOrigins") return fc.array(origin, { minLength: 1, maxLength: 3 }).map((o) => o.join(","));
  if (spec.key === "keepAlive")
    return fc.oneof(fc.integer({ min: -1, max: 86_400 }).map(String), fc.constantFrom("5m", "1h30m", "-1s"));
  if (spec.key === "cacheRedis") return port.map((p) => `redis://127.0.0.1:${p}`);
  switch (spec.kind) {
    case "switch":
      return fc.boolean();
    case "port":
      return fc.oneof(fc.constant(0), port);
    case "int":
      return fc.integer({ min: spec.min ?? 0, max: spec.max ?? 1_000_000 });
    case "number": {
      const max = spec.max ?? 1e6;
      return fc
        .double({ min: spec.min ?? 0, max, noNaN: true, noDefaultInfinity: true })
        .filter((n) => !spec.exclusiveMax || n < max);
    }
    case "choice":
      return fc.constantFrom(...(spec.choices ?? []));
    case "list":
      return fc
        .array(fc.stringMatching(/^[a-z0-9][a-z0-9:.-]{0,11}$/), { minLength: 1, maxLength: 3 })
        .map((w) => w.join(","));
    case "url":
      return port.map((p) => `http://127.0.0.1:${p}/v${p % 3}`);
    case "upstreams":
      return upstreamList;
    default:
      return word;
  }
}

/** Some options, each once, with valid values (tls-cert and tls-key come together). */
const settings: fc.Arbitrary<Setting[]> = fc
  .subarray([...SERVE_OPTIONS], { minLength: 1 })
  .chain((specs) => fc.tuple(...specs.map((spec) => validValue(spec).map((value) => ({ spec, value })))))
  .map((list) => {
    const keys = new Set(list.map((s) => s.spec.key));
    if (keys.has("tlsCert") !== keys.has("tlsKey"))
      return list.filter((s) => s.spec.key !== "tlsCert" && s.spec.key !== "tlsKey");
    return list;
  });

/** The settings as flags, in either form; a switch as `--x` / `--no-x`. */
function asFlags(list: Setting[], inline: boolean[]): string[] {
  return list.flatMap(({ spec, value }, i) => {
    if (spec.kind === "switch") return [value ? `--${spec.flag}` : `--no-${spec.flag}`];
    return inline[i % inline.length] ? [`--${spec.flag}=${value}`] : [`--${spec.flag}`, String(value)];
  });
}

/** The settings as environment variables (switches in the spellings the reader accepts). */
function asEnv(list: Setting[], spelling: number): Record<string, string> {
  const yes = ["1", "true", "yes", "on", "TRUE"];
  const no = ["0", "false", "no", "off", "Off"];
  return Object.fromEntries(
    list.map(({ spec, value }) => [
      spec.env,
      typeof value === "boolean" ? (value ? yes : no)[spelling % 5] : String(value),
    ]),
  );
}

/** The settings as a JSON config file. */
const asFile = (list: Setting[]) => JSON.stringify(Object.fromEntries(list.map((s) => [s.spec.key, s.value])));

function resolve(argv: string[], env: Record<string, string>, file?: string): ServeConfig | ModelwireError {
  try {
    const r = resolveServeConfig({ argv, env, readFile: () => file ?? "{}" });
    if (r.help) throw new Error("unexpected help");
    return r.config;
  } catch (e) {
    if (e instanceof ModelwireError) return e;
    throw e;
  }
}

describe("serve options through flag, environment and config file (property)", () => {
  it("the same settings give the same configuration from each source, or the same error", () => {
    fc.assert(
      fc.property(settings, fc.array(fc.boolean(), { minLength: 1 }), fc.nat(), (list, inline, spelling) => {
        const fromFlags = resolve(asFlags(list, inline), {});
        const fromEnv = resolve([], asEnv(list, spelling));
        const fromFile = resolve(["--config", "c.json"], {}, asFile(list));
        if (fromFlags instanceof ModelwireError) {
          // An inconsistent combination (two listeners on one port, every listener off, ...) is refused by all
          // three sources alike, naming the same option.
          expect(fromEnv).toBeInstanceOf(ModelwireError);
          expect(fromFile).toBeInstanceOf(ModelwireError);
          expect((fromEnv as ModelwireError).metadata.option).toBe(fromFlags.metadata.option);
          expect((fromFile as ModelwireError).metadata.option).toBe(fromFlags.metadata.option);
          return;
        }
        expect(fromEnv).toEqual(fromFlags);
        expect(fromFile).toEqual(fromFlags);
        for (const { spec, value } of list)
          expect((fromFlags as unknown as Record<string, unknown>)[spec.key]).toEqual(
            spec.kind === "list"
              ? String(value).split(",")
              : spec.kind === "upstreams"
                ? upstreamSpecs.get(String(value))
                : value,
          );
      }),
      { numRuns: 300 },
    );
    // Generating hundreds of option sets takes seconds on a loaded 2-core machine (not the code under test).
  }, 120_000);

  it("a flag beats the environment, which beats the config file", () => {
    // Three settings of the same options: the file's, the environment's, the flags'.
    const layered = settings.chain((list) =>
      fc.tuple(
        fc.constant(list),
        fc.tuple(...list.map((s) => validValue(s.spec).map((value) => ({ spec: s.spec, value })))),
        fc.tuple(...list.map((s) => validValue(s.spec).map((value) => ({ spec: s.spec, value })))),
      ),
    );
    fc.assert(
      fc.property(layered, ([file, env, flags]) => {
        const all = resolve(asFlags(flags, [false]), { ...asEnv(env, 0), MODELWIRE_CONFIG: "c.json" }, asFile(file));
        const top = resolve(asFlags(flags, [false]), {});
        // The result is the flags' alone whenever both are valid: nothing from below leaks through.
        fc.pre(!(all instanceof ModelwireError) && !(top instanceof ModelwireError));
        expect(all).toEqual(top);
        // Without flags, the environment wins over the file.
        const below = resolve([], { ...asEnv(env, 1), MODELWIRE_CONFIG: "c.json" }, asFile(file));
        const envOnly = resolve([], asEnv(env, 1));
        if (!(below instanceof ModelwireError) && !(envOnly instanceof ModelwireError)) expect(below).toEqual(envOnly);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
