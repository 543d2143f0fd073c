export interface BatchProgress {
  total: number;
  embedded: number;
  indexed: number;
  failed: number;
  listing?: string;
}

const BAR_WIDTH = 24;

/**
 * A one-line progress report: bar, counts, rate and ETA. On a terminal it redraws in place;
 * elsewhere (logs, CI) it prints a line only when the counts change.
 */
export class ProgressLine {
  private readonly startedAt = Date.now();
  private lastText = '';

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number = Date.now,
  ) {}

  render(progress: BatchProgress): string {
    const finished = progress.indexed + progress.failed;
    const fraction = progress.total > 0 ? Math.min(1, finished / progress.total) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const elapsedSeconds = Math.max(0.001, (this.now() - this.startedAt) / 1000);
    const rate = finished / elapsedSeconds;
    const remaining = progress.total - finished;
    const eta = rate > 0 && remaining > 0 ? formatDuration(remaining / rate) : '--';
    const listing = progress.listing === 'running' ? ' (listing…)' : '';
    return (
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${finished}/${progress.total}${listing}` +
      `  embedded ${progress.embedded}  indexed ${progress.indexed}  failed ${progress.failed}` +
      `  ${rate.toFixed(1)}/s  ETA ${eta}`
    );
  }

  update(progress: BatchProgress): void {
    const text = this.render(progress);
    if (this.stream.isTTY) this.stream.write(`\r\u001b[2K${text}`);
    else if (text.replace(/ {2}[\d.]+\/s {2}ETA .*$/, '') !== this.lastText.replace(/ {2}[\d.]+\/s {2}ETA .*$/, '')) {
      this.stream.write(`${text}\n`);
    }
    this.lastText = text;
  }

  finish(): void {
    if (this.stream.isTTY && this.lastText) this.stream.write('\n');
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
