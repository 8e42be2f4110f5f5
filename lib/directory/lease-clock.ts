/**
 * When a host's lease has lapsed, as one directory instance sees it. Each host re-puts its lease key every T/3;
 * every instance notes, on its own clock, when it last saw each lease's key change (a watch event), and judges a
 * lease not renewed within T lapsed. Local time, not the server's: nats-server 2.9.10 ignores per-key TTL and a
 * bucket's max_age deletes without telling watchers, and a frozen host's connection stays up.
 *
 * An instance that cannot renew its own lease cannot see the others' renewals either (they share the stream), so
 * it judges nobody meanwhile: when its own renewal works again every lease gets a fresh T, so a JetStream leader
 * election longer than T does not make every reaper delete every host at once.
 */
export class LeaseClock {
  /** Host id → local time (ms) of its lease's last renewal seen, or -Infinity once its lease key was deleted. */
  private readonly seen = new Map<string, number>();
  private healthy = true;

  constructor(
    readonly leaseMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The lease's key was put (renewed or first taken). */
  renewed(hostId: string): void {
    this.seen.set(hostId, this.now());
  }

  /** A registration names this lease: if its key was never seen, its clock starts now. */
  noticed(hostId: string): void {
    if (!this.seen.has(hostId)) this.seen.set(hostId, this.now());
  }

  /** The lease's key was deleted: what still names it is lapsed. */
  released(hostId: string): void {
    this.seen.set(hostId, Number.NEGATIVE_INFINITY);
  }

  /** Nothing names the lease any more. */
  forget(hostId: string): void {
    this.seen.delete(hostId);
  }

  /** Whether this instance's own renewal works; on recovery every lease starts a fresh T. */
  ownRenewal(ok: boolean): void {
    if (ok && !this.healthy) for (const [hostId, at] of this.seen) if (at !== Number.NEGATIVE_INFINITY) this.seen.set(hostId, this.now());
    this.healthy = ok;
  }

  /** Leases not renewed within T (none while this instance's own renewal fails). */
  lapsed(except: string): string[] {
    if (!this.healthy) return [];
    const deadline = this.now() - this.leaseMs;
    return [...this.seen].filter(([hostId, at]) => hostId !== except && at < deadline).map(([hostId]) => hostId);
  }
}
