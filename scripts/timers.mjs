/**
 * The timer check: every timer armed in the shipped sources (packages/* and apps/* `src`, tests, test support and
 * the private test kit excepted) must have a delay that cannot pass Node's 2^31-1 ms limit, where a longer delay
 * fires after 1 ms with a TimeoutOverflowWarning. A delay passes when it is a number literal, an UPPER_CASE
 * constant, `clampTimerMs(...)`, or `Math.min(...)` with such a bound among its arguments; anything else goes
 * through `setLongTimeout` / `delay` / `clampTimerMs` from @modelwire/core (which this check skips).
 * `node scripts/timers.mjs` prints each unbounded timer and exits 1 when there is one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** Calls whose delay is their second argument (global timers) or first (`x.setTimeout(ms)`, `AbortSignal.timeout`). */
const GLOBAL_TIMERS = new Set(["setTimeout", "setInterval"]);

/** Every shipped TypeScript source under `root`. */
export function shippedSources(root) {
  const out = [];
  for (const top of ["packages", "apps"]) {
    for (const pkg of readdirSync(join(root, top), { withFileTypes: true })) {
      if (!pkg.isDirectory() || pkg.name === "test-kit") continue;
      walk(join(root, top, pkg.name, "src"), out);
    }
  }
  return out.sort();
}

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "test-support" && e.name !== "gen" && e.name !== "node_modules") walk(p, out);
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
}

/** True when `node` (a delay expression) cannot exceed the timer limit. */
function bounded(node) {
  if (ts.isParenthesizedExpression(node)) return bounded(node.expression);
  if (ts.isNumericLiteral(node)) return Number(node.text.replaceAll("_", "")) <= 2 ** 31 - 1;
  if (ts.isIdentifier(node)) return /^[A-Z][A-Z0-9_]*$/.test(node.text);
  if (ts.isPropertyAccessExpression(node)) return /^[A-Z][A-Z0-9_]*$/.test(node.name.text);
  if (ts.isCallExpression(node)) {
    const callee = node.expression.getText();
    if (callee === "clampTimerMs") return true;
    if (callee === "Math.min") return node.arguments.some(bounded);
  }
  return false;
}

/** The unbounded timers of one source text: `{ line, text }` each. */
export function unboundedTimers(fileName, text) {
  if (!/setTimeout|setInterval|AbortSignal\.timeout|keepAliveTimeout/.test(text)) return [];
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const report = (node) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
    found.push({ line: line + 1, text: node.getText().split("\n")[0].slice(0, 120) });
  };
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      let delayArg;
      if (ts.isIdentifier(callee) && GLOBAL_TIMERS.has(callee.text)) delayArg = node.arguments[1];
      else if (ts.isPropertyAccessExpression(callee)) {
        const name = callee.name.text;
        const target = callee.expression.getText();
        if (GLOBAL_TIMERS.has(name) && (target === "globalThis" || target === "window")) delayArg = node.arguments[1];
        else if (name === "setTimeout") delayArg = node.arguments[0];
        else if (name === "timeout" && target === "AbortSignal") delayArg = node.arguments[0];
      }
      if (delayArg !== undefined && !bounded(delayArg)) report(node);
    }
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      node.left.name.text === "keepAliveTimeout" &&
      !bounded(node.right)
    ) {
      report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Every unbounded timer under `root`, as `path:line: text`. */
export function timerProblems(root) {
  const out = [];
  for (const file of shippedSources(root)) {
    if (file.endsWith(join("core", "src", "timer.ts"))) continue;
    for (const t of unboundedTimers(file, readFileSync(file, "utf8"))) {
      out.push(`${relative(root, file)}:${t.line}: ${t.text}`);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = timerProblems(join(import.meta.dirname, ".."));
  for (const p of problems) console.log(p);
  if (problems.length > 0) {
    console.log(`${problems.length} timer(s) whose delay may pass 2^31-1 ms: use setLongTimeout or clampTimerMs`);
    process.exit(1);
  }
}
