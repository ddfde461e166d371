import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { setTrainable, trainableLayerNames } from './freeze';
import { LogSoftmax } from './log-softmax-layer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** input → enc_1 → enc_2 → head → LogSoftmax, every Dense seeded. */
function makeModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  let x: tf.SymbolicTensor = input;
  for (const [name, units] of [
    ['enc_1', 6],
    ['enc_2', 6],
    ['head', 3],
  ] as const) {
    x = tf.layers
      .dense({
        units,
        name,
        activation: name === 'head' ? 'linear' : 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed: units }),
      })
      .apply(x) as tf.SymbolicTensor;
  }
  const output = new LogSoftmax({ name: 'log_probs' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

const X = (): tf.Tensor2D =>
  tf.tensor2d([
    [0.5, -1, 2, 0.1],
    [1, 0.3, -0.7, 0.2],
    [-1.5, 0.8, 0.4, -0.3],
  ]);
const Y = (): tf.Tensor2D => tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3).toFloat() as tf.Tensor2D;

/** Negative log-likelihood of the model's log-probabilities. */
function loss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.neg(
    tf.mean(tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, y), -1)),
  ) as tf.Scalar;
}

/** Every weight's current values, by weight name. */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(
    model.weights.map((w) => [w.originalName, w.read().dataSync().slice() as Float32Array]),
  );
}

/** Names of the weights whose values differ between two snapshots. */
function changedWeights(
  before: Map<string, Float32Array>,
  after: Map<string, Float32Array>,
): string[] {
  return [...before.keys()].filter((name) => {
    const [a, b] = [before.get(name) as Float32Array, after.get(name) as Float32Array];
    return a.some((v, i) => v !== b[i]);
  });
}

function minimizeStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  explicitVariables: boolean,
): void {
  const x = X();
  const y = Y();
  const variables = explicitVariables
    ? model.trainableWeights.map((w) => w.read() as tf.Variable)
    : undefined;
  optimizer.minimize(() => loss(model, x, y), false, variables);
  tf.dispose([x, y]);
}

describe('setTrainable', () => {
  it('freezes by glob: the frozen weights stay put under optimizer.minimize, the others move', () => {
    const model = makeModel();
    expect(trainableLayerNames(model)).toEqual(['enc_1', 'enc_2', 'head']);
    expect(setTrainable(model, 'enc_*', false)).toEqual(['enc_1', 'enc_2']);
    expect(trainableLayerNames(model)).toEqual(['head']);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['head/kernel', 'head/bias']);

    const optimizer = tf.train.sgd(0.5);
    const before = snapshot(model);
    minimizeStep(model, optimizer, true);
    expect(changedWeights(before, snapshot(model))).toEqual(['head/kernel', 'head/bias']);

    // Without a variable list minimize trains every trainable tf.Variable: the flags follow too.
    const before2 = snapshot(model);
    minimizeStep(model, optimizer, false);
    expect(changedWeights(before2, snapshot(model))).toEqual(['head/kernel', 'head/bias']);

    // Unfreezing takes effect at the next step, no recompile.
    expect(setTrainable(model, 'enc_*', true)).toEqual(['enc_1', 'enc_2']);
    const before3 = snapshot(model);
    minimizeStep(model, optimizer, true);
    expect(changedWeights(before3, snapshot(model)).sort()).toEqual(
      [
        'enc_1/kernel',
        'enc_1/bias',
        'enc_2/kernel',
        'enc_2/bias',
        'head/kernel',
        'head/bias',
      ].sort(),
    );
    optimizer.dispose();
    model.dispose();
  });

  it('returns only the layers it changed', () => {
    const model = makeModel();
    expect(setTrainable(model, 'enc_1', false)).toEqual(['enc_1']);
    expect(setTrainable(model, 'enc_?', false)).toEqual(['enc_2']);
    expect(setTrainable(model, 'enc_?', false)).toEqual([]);
    expect(setTrainable(model, 'enc_1', true)).toEqual(['enc_1']);
    model.dispose();
  });

  it('accepts exact names, globs, RegExps and predicates', () => {
    const model = makeModel();
    const names = model.layers.map((l) => l.name);
    const reset = (): void => void setTrainable(model, () => true, true);
    const frozenBy = (pattern: Parameters<typeof setTrainable>[1]): string[] => {
      reset();
      setTrainable(model, pattern, false, { allowNoMatch: true });
      return model.layers.filter((l) => !l.trainable).map((l) => l.name);
    };
    expect(frozenBy('head')).toEqual(['head']);
    expect(frozenBy('enc')).toEqual([]); // exact: no such layer ...
    expect(frozenBy('*_1')).toEqual(['enc_1']);
    expect(frozenBy('e?c_*')).toEqual(['enc_1', 'enc_2']);
    expect(frozenBy('log_probs')).toEqual(['log_probs']);
    expect(frozenBy(/^enc_[12]$/)).toEqual(['enc_1', 'enc_2']);
    expect(frozenBy(/head/g)).toEqual(['head']); // the g flag's lastIndex does not skip layers
    expect(
      frozenBy((name) => name !== 'head' && name !== 'log_probs' && !name.startsWith('input')),
    ).toEqual(['enc_1', 'enc_2']);
    expect(frozenBy('enc_1.')).toEqual([]); // '.' is literal in globs
    expect(names).toHaveLength(5);
    model.dispose();
  });

  it('throws on a pattern that matches nothing, naming the layers, unless allowNoMatch', () => {
    const model = makeModel();
    expect(() => setTrainable(model, 'enc', false)).toThrow(
      /^Argument 'pattern' passed to 'setTrainable' must match a layer of model '.+' \(layers: input\d*, enc_1, enc_2, head, log_probs; pass \{ allowNoMatch: true \} to accept no match\), but got 'enc'\.$/,
    );
    expect(() => setTrainable(model, /^decoder/, false)).toThrow(/, but got \/\^decoder\/\.$/);
    expect(setTrainable(model, 'enc', false, { allowNoMatch: true })).toEqual([]);
    model.dispose();
  });

  it('rejects a trainable flag that is not a boolean, changing nothing', () => {
    const model = makeModel();
    // 'false' is truthy: taken as it came, it would report enc_1 and enc_2 as changed and leave
    // them trainable.
    expect(() => setTrainable(model, 'enc_*', 'false' as unknown as boolean)).toThrow(
      "Argument 'trainable' passed to 'setTrainable' must be a boolean, but got 'false'.",
    );
    expect(() => setTrainable(model, 'enc_*', 0 as unknown as boolean)).toThrow(
      "Argument 'trainable' passed to 'setTrainable' must be a boolean, but got 0.",
    );
    expect(trainableLayerNames(model)).toEqual(['enc_1', 'enc_2', 'head']);
    model.dispose();
  });

  it('rejects a model that is not a tf.LayersModel and options that are not an object', () => {
    const model = makeModel();
    expect(() => setTrainable(null as never, 'enc_*', false)).toThrow(
      "Argument 'model' passed to 'setTrainable' must be a tf.LayersModel, but got null.",
    );
    expect(() => trainableLayerNames({} as never)).toThrow(
      "Argument 'model' passed to 'trainableLayerNames' must be a tf.LayersModel, but got an object.",
    );
    expect(() => setTrainable(model, 'enc_*', false, null as never)).toThrow(
      "Argument 'options' passed to 'setTrainable' must be an object or undefined, but got null.",
    );
    expect(() => setTrainable(model, 'enc_*', false, { allowNoMatch: 'yes' as never })).toThrow(
      "Argument 'options.allowNoMatch' passed to 'setTrainable' must be a boolean, but got 'yes'.",
    );
    expect(trainableLayerNames(model)).toEqual(['enc_1', 'enc_2', 'head']);
    model.dispose();
  });

  it('reaches layers of nested models and freezes a nested model as a whole, at any depth', () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.dense({ units: 5, inputShape: [4], name: 'inner_dense' })],
    });
    const middle = tf.sequential({
      name: 'middle',
      layers: [inner, tf.layers.dense({ units: 5, name: 'middle_dense' })],
    });
    const input = tf.input({ shape: [4] });
    const features = middle.apply(input) as tf.SymbolicTensor;
    const head = tf.layers
      .dense({ units: 3, name: 'outer_head' })
      .apply(features) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: new LogSoftmax().apply(head) as tf.SymbolicTensor,
    });
    const variableFlags = (): Record<string, boolean> =>
      Object.fromEntries(
        model.weights
          .filter((w) => w.originalName.endsWith('kernel'))
          .map((w) => [w.originalName, (w.read() as tf.Variable).trainable]),
      );

    expect(trainableLayerNames(model)).toEqual(['inner_dense', 'middle_dense', 'outer_head']);
    expect(setTrainable(model, 'inner_dense', false)).toEqual(['inner_dense']);
    expect(trainableLayerNames(model)).toEqual(['middle_dense', 'outer_head']);

    expect(setTrainable(model, 'middle', false)).toEqual(['middle']);
    expect(trainableLayerNames(model)).toEqual(['outer_head']);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual([
      'outer_head/kernel',
      'outer_head/bias',
    ]);
    // tfjs's own setter on 'middle' would not reach inner_dense two levels down; setTrainable does.
    expect(variableFlags()).toEqual({
      'inner_dense/kernel': false,
      'middle_dense/kernel': false,
      'outer_head/kernel': true,
    });

    // Unfreezing the nested model keeps inner_dense, frozen on its own, frozen.
    expect(setTrainable(model, 'middle', true)).toEqual(['middle']);
    expect(trainableLayerNames(model)).toEqual(['middle_dense', 'outer_head']);
    expect(variableFlags()).toEqual({
      'inner_dense/kernel': false,
      'middle_dense/kernel': true,
      'outer_head/kernel': true,
    });
    model.dispose();
  });

  it('model.fit: follows the flags, except for layers that were frozen when compile ran', async () => {
    // tfjs warns ("Discrepancy between trainableweights and collected trainable weights") while
    // the two differ; the behaviour below is what matters.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const model = makeModel();
    const lossFn = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
      tf.neg(tf.mean(tf.sum(tf.mul(yPred, yTrue), -1)));
    const compile = (): void => model.compile({ optimizer: tf.train.sgd(0.5), loss: lossFn });
    const [x, y] = [X(), Y()];
    const fitChanges = async (): Promise<string[]> => {
      const before = snapshot(model);
      await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
      return changedWeights(before, snapshot(model)).sort();
    };
    const all = [
      'enc_1/bias',
      'enc_1/kernel',
      'enc_2/bias',
      'enc_2/kernel',
      'head/bias',
      'head/kernel',
    ];

    compile(); // everything trainable at compile time
    setTrainable(model, 'enc_*', false);
    expect(await fitChanges()).toEqual(['head/bias', 'head/kernel']);
    setTrainable(model, 'enc_*', true);
    expect(await fitChanges()).toEqual(all);

    setTrainable(model, 'enc_*', false);
    compile(); // compiled while frozen: fit's variable list lacks enc_*
    setTrainable(model, 'enc_*', true);
    expect(await fitChanges()).toEqual(['head/bias', 'head/kernel']);
    compile();
    expect(await fitChanges()).toEqual(all);
    tf.dispose([x, y]);
    model.dispose();
    warn.mockRestore();
  });
});

describe('trainableLayerNames', () => {
  it('lists layers with trainable weights only, in model order', () => {
    const model = makeModel();
    expect(trainableLayerNames(model)).toEqual(['enc_1', 'enc_2', 'head']); // not input, not log_probs
    setTrainable(model, 'head', false);
    expect(trainableLayerNames(model)).toEqual(['enc_1', 'enc_2']);
    model.dispose();
  });
});
