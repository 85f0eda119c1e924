/**
 * Seed and run counts of the fuzz suites. FUZZ_SEED reproduces a failing run (fast-check prints
 * the seed and the shrunk counterexample); FUZZ_RUNS scales every property up or down.
 */
export const FUZZ_SEED = readInt('FUZZ_SEED', 20_261_122);
const SCALE = readInt('FUZZ_RUNS', 300) / 300;

/** Runs for a property whose default is `base` (at FUZZ_RUNS=300). */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * SCALE));
}

/** Counts the cases a suite ran, so its report can print them. */
export class CaseCounter {
  readonly #counts = new Map<string, number>();

  add(name: string, n = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + n);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }

  report(suite: string): string {
    const lines = [...this.#counts].map(([name, n]) => `  ${String(n).padStart(6)}  ${name}`);
    return `[fuzz] ${suite}: ${this.total} cases (FUZZ_SEED=${FUZZ_SEED})\n${lines.join('\n')}`;
  }
}

function readInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}
