/**
 * Resolves once `condition` holds, checking every 20 ms; rejects after `timeoutMs`. For server-side
 * state that emits no event a test could await (a session the gateway forgets, a counter).
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
