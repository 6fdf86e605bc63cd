/**
 * Gathers the calls made during one turn of the event loop and hands them to `run` together: the poller's
 * write-backs then share one database transaction (docs/benchmarks.md) without waiting for anything but the
 * current turn to end. A failed batch fails each of its calls.
 */
export class TurnBatch<In, Out> {
  private pending: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];

  constructor(private readonly run: (inputs: In[]) => Promise<Out[]>) {}

  add(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const outputs = await this.run(batch.map((call) => call.input));
      batch.forEach((call, i) => call.resolve(outputs[i]!));
    } catch (err) {
      for (const call of batch) call.reject(err);
    }
  }
}
