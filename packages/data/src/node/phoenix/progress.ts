/**
 * Progress reporting for long corpus jobs: a cli-progress bar on a TTY, plain lines (at most
 * one a second, and one at the end of each stage) otherwise, or nothing.
 */
import { type ProgressMode, resolveProgressMode } from '@slr/core';
import cliProgress from 'cli-progress';

/**
 * Whether and where a long corpus job (for example {@link writePhoenixCorpus}) shows its
 * progress.
 */
export interface ProgressOptions {
  /**
   * `'auto'` (the default: a bar when the stream is a terminal, lines otherwise), `'bar'`,
   * `'lines'` (at most one a second, and one at the end of each stage) or `'off'`; `true` is
   * `'auto'`, `false` is `'off'`.
   */
  progress?: boolean | ProgressMode;
  /** Default `process.stderr`. */
  progressStream?: NodeJS.WritableStream & {
    /** Whether the stream is a terminal (`'auto'` then draws a bar). */
    isTTY?: boolean;
  };
}

/** Counts samples and frames of named stages (for example one per split) and shows them. */
export interface ProgressReporter {
  /** Begins a stage of `total` samples (undefined: unknown). */
  start(label: string, total?: number): void;
  /** One more sample of `frames` frames done. */
  tick(frames: number): void;
  /** Ends the current stage (prints its final line). */
  finish(): void;
}

/**
 * The progress reporter `options` ask for; `fn` is the function whose options they are (it is
 * named when `options.progress` is not a mode).
 */
export function createProgress(fn: string, options: ProgressOptions): ProgressReporter {
  const stream = options.progressStream ?? process.stderr;
  const requested = resolveProgressMode(fn, 'options.progress', options.progress, 'auto');
  const mode = requested === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : requested;
  if (mode === 'off') return { start() {}, tick() {}, finish() {} };
  return mode === 'bar' ? new BarProgress(stream) : new LineProgress(stream);
}

abstract class StageCounter {
  protected label = '';
  protected total: number | undefined;
  protected samples = 0;
  protected frames = 0;
  protected startedAt = 0;
  protected active = false;

  start(label: string, total?: number): void {
    if (this.active) this.finish();
    Object.assign(this, {
      label,
      total,
      samples: 0,
      frames: 0,
      startedAt: performance.now(),
      active: true,
    });
  }

  tick(frames: number): void {
    this.samples += 1;
    this.frames += frames;
  }

  abstract finish(): void;

  protected framesPerSecond(): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? Math.round(this.frames / seconds) : 0;
  }
}

class LineProgress extends StageCounter {
  private lastLine = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {
    super();
  }

  override tick(frames: number): void {
    super.tick(frames);
    const now = performance.now();
    if (now - this.lastLine >= 1000 && this.samples !== this.total) {
      this.lastLine = now;
      this.print();
    }
  }

  override start(label: string, total?: number): void {
    super.start(label, total);
    this.lastLine = this.startedAt;
  }

  finish(): void {
    if (!this.active) return;
    this.active = false;
    this.print(' done');
  }

  private print(suffix = ''): void {
    const of = this.total === undefined ? '' : `/${this.total}`;
    this.stream.write(
      `${this.label}: ${this.samples}${of} samples, ` +
        `${this.frames} frames, ${this.framesPerSecond()} frames/s${suffix}\n`,
    );
  }
}

class BarProgress extends StageCounter {
  private bar: cliProgress.SingleBar | undefined;

  constructor(private readonly stream: NodeJS.WritableStream) {
    super();
  }

  override start(label: string, total?: number): void {
    super.start(label, total);
    const format =
      total === undefined
        ? '{label} {value} samples | {frames} frames | {fps} frames/s | {duration_formatted}'
        : '{label} [{bar}] {value}/{total} samples | {frames} frames | {fps} frames/s | ETA {eta_formatted}';
    this.bar = new cliProgress.SingleBar(
      { format, stream: this.stream, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total ?? 0, 0, { label, frames: 0, fps: 0 });
  }

  override tick(frames: number): void {
    super.tick(frames);
    this.bar?.update(this.samples, { frames: this.frames, fps: this.framesPerSecond() });
  }

  finish(): void {
    if (!this.active) return;
    this.active = false;
    this.bar?.update(this.samples, { frames: this.frames, fps: this.framesPerSecond() });
    this.bar?.stop();
    this.bar = undefined;
  }
}
