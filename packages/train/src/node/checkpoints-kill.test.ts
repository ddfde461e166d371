import * as tf from '@tensorflow/tfjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@slr/data';
import { loadCheckpoint } from './checkpoint';
import { train } from './train';
import {
  KILL_TEST_RUN,
  TINY_SAMPLES,
  tinySequenceModel,
  useTemporaryFolders,
} from '../../test/tiny';

const temporaryFolder = useTemporaryFolders('slr-kill-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('../../test/child-train.ts', import.meta.url));

/** `test/child-train.ts` in a process of its own, its stderr collected. */
function startChild(
  dir: string,
  out: string,
): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, out], {
    cwd: packageRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

/** The step latest.json names, or -1 before the first checkpoint. */
function latestStep(dir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { step: number }).step;
  } catch {
    return -1;
  }
}

/** The temporary entries of checkpoint writes in `dir` (hidden, `.tmp-` in their names). */
function temporaryEntries(dir: string): string[] {
  return readdirSync(dir).filter((entry) => entry.startsWith('.') && entry.includes('.tmp-'));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('checkpoints under SIGKILL', () => {
  it('resume after every kill (some during a write) and end as an uninterrupted run', async () => {
    const dir = temporaryFolder();
    const out = join(temporaryFolder(), 'result.json');
    const random = new SeededRandom(11);
    // Kill once the run has saved a checkpoint of at least this step itself: during its next
    // write, or after a random pause (within a step, or a write, or between them).
    const kills = [
      { after: 1, duringWrite: true },
      { after: 3, duringWrite: false },
      { after: 5, duringWrite: true },
      { after: 8, duringWrite: false },
      { after: 10, duringWrite: true },
    ];
    let resumedStep = 0;
    for (const kill of kills) {
      const leftovers = new Set(temporaryEntries(dir)); // of the previous kill
      const { child, exited, stderr } = startChild(dir, out);
      let finished = false;
      void exited.then(() => {
        finished = true;
      });
      while (!finished && latestStep(dir) < Math.max(kill.after, resumedStep + 1)) await pause(5);
      if (kill.duringWrite) {
        while (!finished && temporaryEntries(dir).every((entry) => leftovers.has(entry)))
          await pause(1);
      } else await pause(random.next() * 80);
      child.kill('SIGKILL');
      await exited;
      expect(existsSync(out), `the run ended before its kill: ${stderr()}`).toBe(false);
      // What a resume will find: latest.json names a complete checkpoint, as new as before.
      const checkpoint = await loadCheckpoint(dir);
      expect(checkpoint.state.step).toBeGreaterThanOrEqual(Math.max(kill.after, resumedStep + 1));
      expect(checkpoint.state.history).toHaveLength(checkpoint.state.epoch);
      resumedStep = checkpoint.state.step;
      checkpoint.model.dispose();
      tf.dispose(checkpoint.optimizerWeights.map((weight) => weight.tensor));
    }
    const { exited, stderr } = startChild(dir, out);
    expect(await exited, stderr()).toBe(0);
    const final = JSON.parse(readFileSync(out, 'utf8')) as {
      step: number;
      epochs: number;
      resumedFrom: string | null;
      weights: number[][];
    };
    expect(final.resumedFrom).toBe(join(dir, `checkpoint-${resumedStep}`));
    expect(final.step).toBe(12);
    expect(final.epochs).toBe(6);
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { epoch: number; step: number });
    expect(lines.map((line) => [line.epoch, line.step])).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
      [5, 10],
      [6, 12],
    ]);
    // The same run uninterrupted, in this process: the same weights, bit for bit.
    const model = tinySequenceModel({ features: 12, numClasses: 5 });
    await train({
      model,
      trainSamples: TINY_SAMPLES,
      ...KILL_TEST_RUN,
      callbacks: { onWarning: () => undefined },
    });
    const expected = model.model.getWeights().map((weight) => Array.from(weight.dataSync()));
    expect(final.weights.map((weight) => Array.from(new Float32Array(weight)))).toEqual(expected);
  });
});
