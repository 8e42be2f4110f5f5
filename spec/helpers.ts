/** Small assertions shared by the specs. */
import { expect } from 'chai';

/** Awaits `promise`, asserts it rejects with an instance of `type`, and returns the error. */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await promise };
  } catch (error) {
    outcome = { error };
  }
  if (!('error' in outcome)) expect.fail(`expected a rejection with ${type.name}, got the value ${String(outcome.value)}`);
  expect(outcome.error).to.be.instanceOf(type);
  return outcome.error as E;
}

/** Resolves once `condition` holds, polling on the event loop; fails after `ms`. */
export async function eventually(condition: () => boolean, ms = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`${what} did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
