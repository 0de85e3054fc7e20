/**
 * A one-line progress display for long runs, on a terminal only (never in CI logs or pipes):
 * redrawn at most ten times a second, erased when the run ends.
 */
export class Progress {
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly label: string, private readonly enabled = process.stderr.isTTY === true) {}

  public update(done: number, total: number): void {
    if (!this.enabled || total < 100) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    process.stderr.write(`\r${this.label} ${done}/${total} shoots (${Math.floor((100 * done) / total)}%)`);
  }

  public done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }
}
