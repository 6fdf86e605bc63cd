/**
 * Gathers the calls made during one turn of the event loop, or within `windowMs` of the first, and hands them to
 * `run` together: the poller's write-backs then share one database transaction (docs/benchmarks.md). `run` settles
 * each call; if it throws, every call of the batch fails.
 */
export class TurnBatch<In, Out> {
  private pending: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly run: (inputs: In[]) => Promise<PromiseSettledResult<Out>[]>,
    private readonly windowMs = 0,
  ) {}

  add(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length > 1) return;
      if (this.windowMs > 0) setTimeout(() => void this.flush(), this.windowMs);
      else setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const outcomes = await this.run(batch.map((call) => call.input));
      batch.forEach((call, i) => {
        const outcome = outcomes[i]!;
        if (outcome.status === 'fulfilled') call.resolve(outcome.value);
        else call.reject(outcome.reason);
      });
    } catch (err) {
      for (const call of batch) call.reject(err);
    }
  }
}
