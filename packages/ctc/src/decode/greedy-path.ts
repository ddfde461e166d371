/**
 * The per-frame step of greedy (best-path) CTC decoding, which `ctcGreedyDecode` and the
 * streaming greedy decoder share.
 */
import type { CtcHypothesis } from './types';

/** The best path of one stream so far, collapsed: fed one frame at a time. */
export class GreedyPath {
  tokens: number[] = [];
  frames: number[] = [];
  /** ln P of the best path. */
  score = 0;
  /** Frames processed. */
  t = 0;
  /** Token of the last frame; -1 before the first. */
  private previous = -1;

  constructor(
    private readonly classes: number,
    private readonly blank: number,
  ) {}

  /** Starts a new stream. */
  reset(): void {
    this.tokens = [];
    this.frames = [];
    this.score = 0;
    this.t = 0;
    this.previous = -1;
  }

  /**
   * Takes the most probable token of the frame at `data[offset…]` (ties → lowest id; a NaN
   * never wins, but any number replaces a NaN best), and emits it unless it is the blank or
   * repeats the previous frame's token.
   */
  step(data: ArrayLike<number>, offset: number): void {
    const { classes } = this;
    let best = 0;
    let bestLogProb = data[offset];
    for (let v = 1; v < classes; v++) {
      const logProb = data[offset + v];
      if (logProb > bestLogProb || (Number.isNaN(bestLogProb) && !Number.isNaN(logProb))) {
        best = v;
        bestLogProb = logProb;
      }
    }
    this.score += bestLogProb;
    if (best !== this.previous && best !== this.blank) {
      this.tokens.push(best);
      this.frames.push(this.t);
    }
    this.previous = best;
    this.t++;
  }

  /** The decoded path so far (arrays copied). */
  hypothesis(): CtcHypothesis {
    return {
      tokens: [...this.tokens],
      score: this.score,
      frames: [...this.frames],
      acousticScore: this.score,
      lmScore: 0,
    };
  }
}
