/**
 * When a host's lease has lapsed, as one directory instance sees it. Each host re-puts its lease key every
 * P = T/3; every instance notes, on its own clock, when its watch delivered each lease's key, and judges a lease
 * not renewed within T lapsed. Local time, not the server's: nats-server 2.9.10 ignores per-key TTL and a bucket's
 * max_age deletes without telling watchers, and a frozen host's connection stays up.
 *
 * A silence means something only while this instance's watch is known to be current. The watch delivers in stream
 * order, so when it delivers this instance's own renewal (`current()`), every renewal committed before that one
 * has been seen. So the clock measures *observed* time: it advances only at those proofs, by the time since the
 * last one but at most P. Whatever the store imposed on everyone at once (a JetStream leader election of any
 * length, this instance's connection failing over, its watch stalled, its process frozen) counts as one period at
 * most, and a live host, which renews within P once writes resume, is never judged silent for T. A dead host's
 * silence grows by P a period: it lapses T to T + P after its last renewal.
 */
export class LeaseClock {
  /** Host id → observed time of its lease's last renewal seen, or -Infinity once its lease key was deleted. */
  private readonly seen = new Map<string, number>();
  /** Observed time at the last proof of currency. */
  private observed = 0;
  /** Local time of the last proof, -Infinity before the first. */
  private currentAt = Number.NEGATIVE_INFINITY;

  /**
   * @param leaseMs T.
   * @param periodMs P, the renewal period: the most observed time one proof adds.
   */
  constructor(
    readonly leaseMs: number,
    readonly periodMs: number = leaseMs / 3,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private observedNow(): number {
    return this.observed + Math.min(Math.max(0, this.now() - this.currentAt), this.periodMs);
  }

  /** The lease's key was put (renewed or first taken). */
  renewed(hostId: string): void {
    this.seen.set(hostId, this.observedNow());
  }

  /** A registration names this lease: if its key was never seen, its clock starts now. */
  noticed(hostId: string): void {
    if (!this.seen.has(hostId)) this.seen.set(hostId, this.observedNow());
  }

  /** The lease's key was deleted: what still names it is lapsed. */
  released(hostId: string): void {
    this.seen.set(hostId, Number.NEGATIVE_INFINITY);
  }

  /** Nothing names the lease any more. */
  forget(hostId: string): void {
    this.seen.delete(hostId);
  }

  /** The watch delivered this instance's own renewal: it had delivered everything committed before it. */
  current(): void {
    this.observed = this.observedNow();
    this.currentAt = this.now();
  }

  /** Leases silent for more than T of observed time at the last proof (none unless that proof is recent). */
  lapsed(except: string): string[] {
    if (!(this.now() - this.currentAt <= this.periodMs)) return [];
    const deadline = this.observed - this.leaseMs;
    return [...this.seen].filter(([hostId, at]) => hostId !== except && at < deadline).map(([hostId]) => hostId);
  }
}
