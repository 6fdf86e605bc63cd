import { describe, expect, it } from 'vitest';
import { CompletionTimes } from './completion-times.js';

describe('CompletionTimes', () => {
  it('knows nothing until enough jobs have ended, then keeps young jobs from polls below the fastest', () => {
    const times = new CompletionTimes(100, 20, 0.8);
    for (let i = 0; i < 19; i++) times.record('kling/kling-v1', 60_000 + i * 1_000);
    expect(times.earliestMs('kling/kling-v1')).toBe(0);
    times.record('kling/kling-v1', 50_000);
    expect(times.earliestMs('kling/kling-v1')).toBe(40_000);
    expect(times.earliestMs('kling/kling-v2')).toBe(0);
  });

  it('follows a vendor that became faster, one window at a time', () => {
    const times = new CompletionTimes(10, 5, 0.8);
    for (let i = 0; i < 10; i++) times.record('m', 100_000);
    expect(times.earliestMs('m')).toBe(80_000);
    // Jobs now take 10 s but are first polled at 80 s: each window of ends lowers the threshold by a fifth.
    let threshold = times.earliestMs('m');
    for (let round = 0; round < 12 && threshold > 10_000; round++) {
      for (let i = 0; i < 10; i++) times.record('m', Math.max(10_000, threshold));
      expect(times.earliestMs('m')).toBeLessThan(threshold);
      threshold = times.earliestMs('m');
    }
    expect(threshold).toBeLessThanOrEqual(10_000);
  });
});
