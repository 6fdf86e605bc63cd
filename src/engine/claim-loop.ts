/**
 * The loop every durable worker runs (poller, result copier, webhook sender): claim what is due, up to the free
 * capacity, handle each concurrently, and go again after a tick, at once when woken, or as soon as half the slots
 * are free after a pass that filled them all (capping work at one batch per tick cost throughput). Each worker
 * keeps only what is its own: what to claim and how to handle it.
 */
import type { Logger } from 'pino';

export interface ClaimWorker<T> {
  /** For logs: "poller", "copier", "webhook sender". */
  readonly name: string;
  /** How many items may be in hand at once now. */
  capacity(): number;
  /** Claims up to `limit` due items. */
  claim(limit: number): Promise<T[]>;
  /** Handles one claimed item; a throw is logged (the item returns when its lease ends). */
  handle(item: T): Promise<void>;
  /** How long to wait between passes when nothing wakes the loop. */
  readonly tickMs: number;
}

export class ClaimLoop<T> {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private running = false;
  private wokenDuringPass = false;
  /** The last pass filled every free slot, so more may be due. */
  private backlog = false;
  private pass: Promise<void> = Promise.resolve();
  private readonly inHand = new Set<Promise<void>>();

  constructor(
    private readonly worker: ClaimWorker<T>,
    private readonly log: Logger,
  ) {}

  /** Items being handled now. */
  get inFlight(): number {
    return this.inHand.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  /** A pass now, not at the next tick (news of due work); a pass under way is followed by another at once. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wokenDuringPass = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops claiming and waits until every item in hand is handled (handling may start more: those too). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pass;
    while (this.inHand.size > 0) await Promise.all(this.inHand);
  }

  /** One pass: claim up to the free capacity and start handling. Returns how many it started. */
  async tick(): Promise<number> {
    const free = this.worker.capacity() - this.inFlight;
    if (free <= 0) return 0;
    const items = await this.worker.claim(free);
    this.backlog = items.length >= free;
    for (const item of items) this.run(item);
    return items.length;
  }

  /** Handles an item claimed outside a pass (a vendor callback's job), counted like the others. */
  run(item: T): void {
    const work = this.worker
      .handle(item)
      .catch((err: unknown) =>
        this.log.error({ err }, `${this.worker.name}: an item crashed; it returns when its lease ends`),
      )
      .finally(() => {
        this.inHand.delete(work);
        this.passIfBacklogged();
      });
    this.inHand.add(work);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pass = this.loop();
    }, delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.tick();
    } catch (err) {
      this.log.error({ err }, `${this.worker.name} pass failed`);
    } finally {
      this.running = false;
    }
    const woken = this.wokenDuringPass;
    this.wokenDuringPass = false;
    if (woken) this.wake();
    else if (!this.passIfBacklogged() && !this.timer) this.schedule(this.worker.tickMs);
  }

  /**
   * After a pass that filled every slot, the next starts once half the slots are free (one pass for it: the signal
   * is used up; the pass sets it again if it fills them). Wakes from outside leave it alone.
   */
  private passIfBacklogged(): boolean {
    if (!this.backlog || this.inFlight > this.worker.capacity() / 2) return false;
    this.backlog = false;
    this.wake();
    return true;
  }
}
