/**
 * A fake monotonic clock (ms) for code that takes a `now()` function or reads `performance.now()`.
 * With `mockedTimers`, `advance` also moves node:test's mocked timers (enabled by the test with
 * `mock.timers.enable({ apis: ['setTimeout'] })`), one millisecond at a time, so every timer fires
 * when the clock shows its time.
 */
import { mock } from 'node:test';

export class FakeClock {
  private t: number;

  constructor(
    start = 1000,
    private readonly options: { mockedTimers?: boolean } = {},
  ) {
    this.t = start;
  }

  /** The clock's time: pass `clock.now` where a `() => number` is wanted. */
  readonly now = (): number => this.t;

  /** Moves the clock to `t` at once, timers left as they are. */
  set(t: number): void {
    this.t = t;
  }

  /** Moves the clock on by `ms`, and the mocked timers with it when the clock has them. */
  advance(ms: number): void {
    if (!this.options.mockedTimers) {
      this.t += ms;
      return;
    }
    for (let i = 0; i < ms; i++) {
      this.t += 1;
      mock.timers.tick(1);
    }
  }
}
