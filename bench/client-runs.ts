/**
 * The IPC loop of a many-connections client process (many-clients.ts, raw-many-clients.ts): on `{ run, calls }`
 * every client of that set makes `calls` sequential calls, and the process answers with each call's latency in µs.
 */
export function answerRuns<C>(sets: Record<'many' | 'few', C[]>, call: (client: C) => Promise<unknown>): void {
  process.on('message', async (message: { run: 'many' | 'few'; calls: number }) => {
    const latencies: number[] = [];
    await Promise.all(
      sets[message.run].map(async (client) => {
        for (let i = 0; i < message.calls; i++) {
          const start = process.hrtime.bigint();
          await call(client);
          latencies.push(Math.round(Number(process.hrtime.bigint() - start) / 1_000));
        }
      }),
    );
    process.send!({ latencies });
  });
}
