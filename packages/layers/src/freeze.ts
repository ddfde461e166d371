import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkOptions, describeValue } from '@slr/core';

/**
 * Which layers {@link setTrainable} acts on, by layer name:
 * - a `RegExp`, tested against the name (unanchored, as `RegExp.test` does: write `^…$` for a
 *   whole-name match; `g`/`y` flags are ignored);
 * - a string: an exact name, or a glob when it holds `*` (any run of characters, possibly
 *   none) or `?` (exactly one character), matched against the whole name
 *   (`'conv3d_*'`, `'block?_se'`); no other character is special;
 * - a function of the name.
 */
export type LayerPattern = RegExp | string | ((layerName: string) => boolean);

/** Options of {@link setTrainable}. */
export interface SetTrainableOptions {
  /**
   * Whether a pattern that matches no layer at all is accepted (returning `[]`). By default it
   * throws, since a misspelt pattern would otherwise silently freeze nothing.
   */
  allowNoMatch?: boolean;
}

/** Refuses a `model` that is not a `tf.LayersModel`. */
function checkModel(fn: string, model: unknown): tf.LayersModel {
  if (!(model instanceof tf.LayersModel))
    throw new ArgumentError(fn, 'model', 'be a tf.LayersModel', model);
  return model;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The predicate a {@link LayerPattern} stands for. */
function toPredicate(pattern: LayerPattern): (name: string) => boolean {
  if (typeof pattern === 'function') return pattern;
  if (pattern instanceof RegExp) {
    const regExp = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    return (name) => regExp.test(name);
  }
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  const source = pattern
    .split(/([*?])/)
    .map((part) => (part === '*' ? '.*' : part === '?' ? '.' : escapeRegExp(part)))
    .join('');
  const glob = new RegExp(`^${source}$`, 's');
  return (name) => glob.test(name);
}

/** A nested model (a `LayersModel` used as a layer), whose own layers the functions descend into. */
function sublayers(layer: tf.layers.Layer): tf.layers.Layer[] | undefined {
  const inner = (layer as unknown as { layers?: unknown }).layers;
  return Array.isArray(inner) ? (inner as tf.layers.Layer[]) : undefined;
}

/**
 * Freezes (`trainable = false`) or unfreezes (`true`) the layers of `model` whose names match
 * `pattern` (see {@link LayerPattern}), at any depth: layers of nested models are matched too,
 * and a matching nested model is (un)frozen as a whole. Returns the names of the layers whose
 * `trainable` flag this call changed (those already in the requested state are left out).
 * Throws when the pattern matches no layer, unless `options.allowNoMatch`.
 *
 * A frozen layer's weights leave `model.trainableWeights` and their `tf.Variable`s become
 * non-trainable at once, so custom loops (`optimizer.minimize(loss, false,
 * model.trainableWeights.map((w) => w.read() as tf.Variable))`, or `minimize` with no variable
 * list) need no recompile. `model.fit` trains the weights that were trainable when `compile`
 * ran, skipping those frozen since (tfjs skips non-trainable variables; it also logs a
 * "Discrepancy between trainableweights and collected trainable weights" warning): layers that
 * were frozen at `compile` time are only trained by `fit` after compiling again.
 *
 * @example
 * ```ts
 * const layersModel = model.model; // the tfjs model inside a SequenceModel
 * setTrainable(layersModel, 'Mixed_3*', false); // freeze by glob
 * setTrainable(layersModel, /^Conv3d_/, false); // or by RegExp
 * setTrainable(layersModel, (name) => name !== 'classifier', false); // or by a function
 * const changed = setTrainable(layersModel, 'Mixed_3*', true); // unfreeze: the names changed
 * setTrainable(layersModel, 'pose_*', false, { allowNoMatch: true }); // [] without a pose stream
 * ```
 */
export function setTrainable(
  model: tf.LayersModel,
  pattern: LayerPattern,
  trainable: boolean,
  options: SetTrainableOptions = {},
): string[] {
  const fn = 'setTrainable';
  checkModel(fn, model);
  const { allowNoMatch = false } = checkOptions(fn, options);
  checkBoolean(fn, 'options.allowNoMatch', allowNoMatch);
  checkBoolean(fn, 'trainable', trainable);
  if (
    typeof pattern !== 'string' &&
    typeof pattern !== 'function' &&
    !(pattern instanceof RegExp)
  ) {
    throw new ArgumentError(fn, 'pattern', 'be a string, a RegExp or a function', pattern);
  }
  const matches = toPredicate(pattern);
  const changed: string[] = [];
  let matched = 0;
  const visit = (layers: tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (matches(layer.name)) {
        matched++;
        if (layer.trainable !== trainable) {
          layer.trainable = trainable;
          changed.push(layer.name);
        }
        continue;
      }
      const inner = sublayers(layer);
      if (inner !== undefined) visit(inner);
    }
  };
  visit(model.layers);
  if (changed.length > 0) syncVariableFlags(model.layers, model.trainable);
  if (matched === 0 && !allowNoMatch) {
    throw new ArgumentError(
      fn,
      'pattern',
      `match a layer of model '${model.name}' (layers: ${allLayerNames(model.layers).join(', ')}; ` +
        'pass { allowNoMatch: true } to accept no match)',
      pattern,
      { actualText: pattern instanceof RegExp ? String(pattern) : describeValue(pattern) },
    );
  }
  return changed;
}

/** Layers a layer is made of: a nested model's layers, a wrapper's layer, an RNN's cell(s). */
function parts(layer: tf.layers.Layer): tf.layers.Layer[] {
  const fields = layer as unknown as Record<string, unknown>;
  const isLayer = (value: unknown): value is tf.layers.Layer =>
    typeof value === 'object' &&
    value !== null &&
    'trainable' in value &&
    '_trainableWeights' in value;
  const found: unknown[] = [];
  for (const key of ['layers', 'cells'])
    if (Array.isArray(fields[key])) found.push(...(fields[key] as unknown[]));
  for (const key of ['layer', 'cell', 'forwardLayer', 'backwardLayer']) found.push(fields[key]);
  return found.filter(isLayer);
}

/**
 * Sets every weight's `trainable` flag (and so its `tf.Variable`'s, which `optimizer.minimize`
 * without a variable list and `model.fit` go by) to whether its layer and every layer enclosing
 * it are trainable. tfjs's own setter on a nested model reaches only the weights one level
 * down, does not reach an RNN's cell, and re-enables sub-layers frozen on their own.
 */
function syncVariableFlags(layers: tf.layers.Layer[], enclosingTrainable: boolean): void {
  for (const layer of layers) {
    const effective = enclosingTrainable && layer.trainable;
    const own =
      (layer as unknown as { _trainableWeights?: tf.LayerVariable[] })._trainableWeights ?? [];
    for (const weight of own) weight.trainable = effective;
    syncVariableFlags(parts(layer), effective);
  }
}

function allLayerNames(layers: tf.layers.Layer[]): string[] {
  return layers.flatMap((layer) => [layer.name, ...allLayerNames(sublayers(layer) ?? [])]);
}

/**
 * Names of the layers whose weights training would update: layers (of nested models too) that
 * hold at least one trainable weight and are not frozen, themselves or through a frozen
 * enclosing model. Weightless layers (activations, pooling, `LogSoftmax`) are never listed.
 *
 * @example
 * ```ts
 * setTrainable(model.model, 'conv*', false);
 * trainableLayerNames(model.model); // ['dense', 'dense_1']
 * ```
 */
export function trainableLayerNames(model: tf.LayersModel): string[] {
  checkModel('trainableLayerNames', model);
  const names: string[] = [];
  const visit = (layers: tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (!layer.trainable) continue;
      const inner = sublayers(layer);
      if (inner !== undefined) visit(inner);
      else if (layer.trainableWeights.length > 0) names.push(layer.name);
    }
  };
  visit(model.layers);
  return names;
}
