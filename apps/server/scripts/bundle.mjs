// Bundles the gateway's process entry after `tsc` has emitted dist/:
//   dist/gateway-entry.js -> dist/main.js   (what `node apps/server/dist/main.js` and GATEWAY_MAIN run)
//   dist/serve-cli.js     -> dist/serve.js  (`@modelwire/server/serve`, what `modelwire serve` imports)
// with the lazily imported parts (gateway, each protocol server, the upstream client) split into dist/chunks/.
//
// Why: loading ~400 small ES modules from node_modules and the workspace costs more start-up time than the gateway
// spends doing anything else, and the protocol packages' entry points also pull in what the gateway never calls
// (the Connect package's grpc-js reference pair and @grpc/proto-loader). One bundle resolves nothing at run time,
// and tree-shaking drops the unused exports. `npm run bench` compares it with the unbundled entry.

import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// Modules whose unused exports may be dropped whole: our workspace packages (pure ES modules with no top-level
// effects) and the CommonJS packages reachable only through exports the gateway does not use.
const SIDE_EFFECT_FREE =
  /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/]|[\\/]node_modules[\\/](undici|@grpc|protobufjs|long)[\\/]/;

rmSync(new URL("../dist/chunks", import.meta.url), { recursive: true, force: true });
const result = await build({
  absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
  entryPoints: { main: "dist/gateway-entry.js", serve: "dist/serve-cli.js" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  metafile: true,
  // The Redis client is loaded only with --cache-redis; left to node_modules, it costs the bundle nothing (and its
  // optional native digest helper need not resolve at build time).
  external: ["redis"],
  // CommonJS dependencies (prom-client, grpc) call require() for Node built-ins; give the ES module one.
  banner: {
    js: "import { createRequire as __mwCreateRequire } from 'node:module'; const require = __mwCreateRequire(import.meta.url);",
  },
  plugins: [
    {
      // A dependency's own source map can name sources it does not publish (hdr-histogram-js's point at its
      // unpublished src/*.ts): esbuild would chain them into ours as sources with no content, which nobody can
      // resolve. Without the comment, the bundle's map points at the dependency's JavaScript, inlined.
      name: "no-foreign-source-maps",
      setup(b) {
        b.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, async (args) => ({
          contents: (await readFile(args.path, "utf8")).replace(/^\/\/# sourceMappingURL=.*$/gm, ""),
          loader: "js",
        }));
      },
    },
    {
      name: "side-effect-free",
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.pluginData?.inner) return undefined;
          const r = await b.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
            pluginData: { inner: true },
          });
          if (r.errors.length > 0) return r;
          return SIDE_EFFECT_FREE.test(r.path) ? { ...r, sideEffects: false } : r;
        });
      },
    },
  ],
});
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".js"));
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(`bundled the gateway: ${outputs.length} files, ${(total / 1024).toFixed(0)} KiB`);
