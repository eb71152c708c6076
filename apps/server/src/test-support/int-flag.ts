/**
 * The integer flags of the repo-only scripts (`npm run fuzz`, `npm run soak`): `v` as an integer >= `min`, or
 * "--NAME must be an integer >= MIN, got V" on stderr and exit code 2 (a usage error).
 */
export function intFlag(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${v}`);
    process.exit(2);
  }
  return n;
}
