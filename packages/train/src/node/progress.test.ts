import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../training-state';
import { createEpochProgress } from './progress';

function collector(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { stream, text: () => text };
}

const record = (epoch: number, wer?: number): EpochRecord => ({
  epoch,
  step: epoch * 2,
  loss: 1 / epoch,
  lr: 1e-3,
  gradNorm: 1,
  wer,
  skippedSteps: 0,
  seconds: 0.1,
});

describe('createEpochProgress', () => {
  it('writes one plain line per epoch when the stream is not a terminal', () => {
    const { stream, text } = collector(false);
    const progress = createEpochProgress(3, 'auto', stream);
    progress.update(record(1));
    progress.update(record(2, 0.25));
    progress.stop();
    expect(text()).toBe(
      'epoch 1/3 step 2 loss 1.0000 lr 1.00e-3 WER —\nepoch 2/3 step 4 loss 0.5000 lr 1.00e-3 WER 25.0%\n',
    );
  });

  it('draws a progress bar on a terminal', () => {
    const { stream, text } = collector(true);
    const progress = createEpochProgress(4, 'auto', stream);
    progress.update(record(2, 0.5));
    progress.stop();
    expect(text()).toContain('epoch 2/4');
    expect(text()).toContain('WER 50.0%');
    expect(text()).toMatch(/[█░]/);
  });

  it("prints nothing when 'off'", () => {
    const { stream, text } = collector(true);
    const progress = createEpochProgress(2, 'off', stream);
    progress.update(record(1));
    progress.stop();
    expect(text()).toBe('');
  });
});
