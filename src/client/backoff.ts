/**
 * Exponential backoff with jitter for reconnection, as socket.io-client's: attempt n waits
 * min * 2^n, moved by up to ±factor of itself at random, capped at max.
 */
export class Backoff {
  #attempts = 0;

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly jitter: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, in ms; counts the attempt. */
  duration(): number {
    let ms = this.min * 2 ** this.#attempts++;
    if (this.jitter > 0) {
      const deviation = Math.floor(this.random() * this.jitter * ms);
      // The same random draw picks the direction, as socket.io-client does.
      ms = (Math.floor(this.random() * 10) & 1) === 0 ? ms - deviation : ms + deviation;
    }
    return Math.max(0, Math.min(ms, this.max));
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Starts over from `min`, after a successful connection. */
  reset(): void {
    this.#attempts = 0;
  }
}
