/**
 * {@linkcode Progress}: a progress line on stderr for long runs.
 *
 * @module
 */

/**
 * A progress line on stderr, shown only when stderr is a terminal, rate-limited to a few updates a
 * second. Call `done()` to clear it.
 */
export class Progress {
  #enabled: boolean;
  #last = 0;
  #label: string;
  #enc = new TextEncoder();

  /** Makes a progress reporter prefixed with `label`. */
  constructor(label: string, enabled = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#enabled = enabled;
  }

  /** Shows `text` if at least 200 ms passed since the last update. */
  update(text: string): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#last < 200) return;
    this.#last = now;
    Deno.stderr.writeSync(this.#enc.encode(`\r\x1b[2K${this.#label}: ${text}`));
  }

  /** Clears the progress line; the next update shows at once. */
  done(): void {
    if (this.#enabled) Deno.stderr.writeSync(this.#enc.encode("\r\x1b[2K"));
    this.#last = 0;
  }
}
