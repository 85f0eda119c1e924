/** One status line, rewritten in place on a TTY and printed every few seconds otherwise. */
export class Progress {
  #last = '';
  #lastPrinted = 0;
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #started = Date.now();

  update(text: string): void {
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(0).padStart(4);
    const line = `[${elapsed}s] ${text}`;
    if (this.#tty) {
      const width = process.stderr.columns ?? 120;
      process.stderr.write(`\r\x1b[K${line.slice(0, width - 1)}`);
    } else if (Date.now() - this.#lastPrinted > 3000 || !line.startsWith(this.#last.slice(0, 30))) {
      process.stderr.write(line + '\n');
      this.#lastPrinted = Date.now();
    }
    this.#last = line;
  }

  /** A line that stays (a finished step). */
  log(text: string): void {
    if (this.#tty) process.stderr.write('\r\x1b[K');
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${elapsed}s] ${text}\n`);
  }
}
