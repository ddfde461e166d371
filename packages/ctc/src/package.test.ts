import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The built package, run by plain `node` (no vitest, no TypeScript): ESM import and CommonJS
 * require both register the kernels (new ones, under `Slr…` names), and `tf.grad` works through
 * tfjs's own `logSoftmax` and through ours — `@tensorflow/tfjs` (the peer dependency) registers
 * every op gradient.
 */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

const body = `
  await tf.setBackend('cpu');
  const logits = tf.randomNormal([6, 2, 5], 0, 1, 'float32', 1);
  const targets = tf.tensor2d([[1, 2], [3, -1]], [2, 2], 'int32');
  const viaTf = tf.grad((x) => ctc.ctcLoss(tf.logSoftmax(x), targets, [6, 5], [2, 1]))(logits);
  const viaOurs = tf.grad((x) => ctc.ctcLoss(ctc.logSoftmax(x), targets, [6, 5], [2, 1]))(logits);
  const kernel = tf.getKernel('SlrCtcLoss', 'cpu') != null;
  const difference = tf.max(tf.abs(tf.sub(viaTf, viaOurs))).dataSync()[0];
  const [hypothesis] = await ctc.ctcGreedyDecode(tf.logSoftmax(logits), [6, 5]);
  const finite = viaOurs.isFinite().all().dataSync()[0] === 1;
  const decoded = Array.isArray(hypothesis.tokens);
  console.log(JSON.stringify({ kernel, difference, finite, decoded }));
`;

function run(args: string[]): {
  kernel: boolean;
  difference: number;
  finite: boolean;
  decoded: boolean;
} {
  const output = execFileSync(process.execPath, args, {
    cwd: packageRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = output
    .trim()
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .pop();
  return JSON.parse(line ?? '{}');
}

describe('the built package under plain node', () => {
  it('has been built (the test command builds it first)', () => {
    expect(existsSync(`${packageRoot}/dist/index.js`), 'run `pnpm build` first').toBe(true);
  });

  it('works as an ES module', () => {
    const result = run([
      '--input-type=module',
      '-e',
      `import * as tf from '@tensorflow/tfjs'; import * as ctc from '@slr/ctc'; ${body}`,
    ]);
    expect(result).toEqual({
      kernel: true,
      difference: expect.any(Number),
      finite: true,
      decoded: true,
    });
    expect(result.difference).toBeLessThan(1e-5);
  });

  it('works through require()', () => {
    const result = run([
      '-e',
      `const tf = require('@tensorflow/tfjs'); const ctc = require('@slr/ctc'); (async () => { ${body} })();`,
    ]);
    expect(result).toEqual({
      kernel: true,
      difference: expect.any(Number),
      finite: true,
      decoded: true,
    });
    expect(result.difference).toBeLessThan(1e-5);
  });
});
