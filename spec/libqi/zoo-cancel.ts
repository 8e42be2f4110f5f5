/**
 * One check shared by the specs of every client of the kit's Zoo (connectLibqi's, and a bridged ServiceClient):
 * `sleep` completes; aborted, it rejects with CanceledError and is canceled at the service (its cancelledCount
 * grows by one); timed out, it rejects with TimeoutError.
 */
import { expect } from 'chai';
import { CanceledError, TimeoutError } from '../../lib/protocol/errors.js';
import { rejection } from '../helpers.js';

interface ZooCaller {
  call(method: string, ...args: unknown[]): Promise<unknown>;
  with(options: { signal?: AbortSignal; timeout?: number }): { call(method: string, ...args: unknown[]): Promise<unknown> };
}

export async function expectSleepCanceledAtTheZoo(zoo: ZooCaller): Promise<void> {
  expect(await zoo.call('sleep', 20)).to.equal(undefined);
  const before = (await zoo.call('cancelledCount')) as number;
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 200);
  const started = Date.now();
  await rejection(zoo.with({ signal: abort.signal }).call('sleep', 10_000), CanceledError);
  expect(Date.now() - started).to.be.below(3_000);
  const deadline = Date.now() + 3_000;
  while ((await zoo.call('cancelledCount')) !== before + 1) {
    if (Date.now() > deadline) expect.fail('cancelledCount did not grow by one');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await rejection(zoo.with({ timeout: 100 }).call('sleep', 10_000), TimeoutError);
}
