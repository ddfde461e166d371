/** The live chart: the top-k class probabilities of the last output frames, as stacked bars. */
import type { FrameTopK } from './recognizer';

const COLOURS = ['#2f6fdf', '#e0772c', '#2ca05a', '#c33a8a', '#7a5bd6', '#b8a21f', '#1fa3b8'];

/** Draws `frames` (the newest last) on `canvas`; class 0 (blank) grey, glosses labelled. */
export function drawTopK(
  canvas: HTMLCanvasElement,
  frames: readonly FrameTopK[],
  label: (id: number) => string,
): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const slots = 48;
  const shown = frames.slice(-slots);
  const barWidth = width / slots;
  const top = 16;
  const plot = height - top - 4;
  context.font = '11px system-ui, sans-serif';
  context.textAlign = 'left';
  let lastLabel = -Infinity;
  shown.forEach((frame, i) => {
    let y = height - 4;
    frame.ids.forEach((id, rank) => {
      const h = frame.probs[rank] * plot;
      context.fillStyle = id === 0 ? '#c9ced8' : COLOURS[(id - 1) % COLOURS.length];
      context.fillRect(i * barWidth + 1, y - h, barWidth - 2, h);
      y -= h;
    });
    const best = frame.ids[0];
    const x = i * barWidth + barWidth / 2;
    if (best !== 0 && (i === 0 || shown[i - 1].ids[0] !== best) && x - lastLabel >= 56) {
      lastLabel = x;
      context.fillStyle = '#1d2330';
      context.fillText(label(best), i * barWidth + 1, top - 4, 54);
    }
  });
}
