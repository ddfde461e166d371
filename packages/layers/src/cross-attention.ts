import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkInteger, checkNumber, describeValue } from '@slr/core';
import { checkSeed, MaskStream } from './mask-stream';
import { initializerSeed, type StochasticLayer } from './random-stream';

const APPLY = 'CrossAttention.apply';
const INPUTS = '[query, keyValue] or [query, keyValue, keyMask]';

/** Options of {@link CrossAttention}. */
export interface CrossAttentionArgs {
  /** Number of attention heads. */
  numHeads: number;
  /** Size of each head's queries and keys. */
  keyDim: number;
  /** Size of each head's values. Default `keyDim`. */
  valueDim?: number;
  /**
   * Size of the output's last axis. Default: the query's size `Dq` (required when `residual`).
   */
  outputDim?: number;
  /** Biases on the four projections. Default true. */
  useBias?: boolean;
  /** Dropout rate on the attention probabilities, in training only. Default 0. */
  dropout?: number;
  /**
   * Add the query to the output projection (`y = query + attention`), so that an untrained
   * layer starts close to the identity of its query stream. Default true; needs
   * `outputDim === Dq`.
   */
  residual?: boolean;
  /**
   * Base seed (a safe integer): the four kernels are drawn with `seed` … `seed + 3` and the
   * attention dropout's masks from `seed + 4` (see `Dropout`; a builder's seed sequence hands
   * the layer five seeds). Default: unseeded.
   */
  seed?: number | null;
  /** Layer name (unique within a model). */
  name?: string;
  /** Whether the projections are trainable. Default true. */
  trainable?: boolean;
  /** Data type of the layer's weights and output (`float32`). */
  dtype?: tf.DataType;
}

/**
 * Multi-head cross-attention (Vaswani et al., 2017) between two sequences: queries from one
 * stream `[B, T, Dq]`, keys and values from another `[B, Tk, Dk]` (the lengths may differ).
 *
 * For each head h: `Q_h = query·Wq_h + bq_h`, `K_h = kv·Wk_h + bk_h`, `V_h = kv·Wv_h + bv_h`,
 * `A_h = softmax(Q_h K_hᵀ / √keyDim)` over the keys (dropout on `A_h` in training),
 * `O = concat_h(A_h V_h)·Wo + bo` of size `outputDim`; with `residual` (the default) the layer
 * returns `query + O`. Output `[B, T, outputDim]`.
 *
 * Inputs: `[query, keyValue]`, or `[query, keyValue, keyMask]` with `keyMask` `[B, Tk]` holding
 * 1 for keys to attend to and 0 for padding (masked keys get no attention weight; each sample
 * needs at least one key that is not masked).
 *
 * Weights (names as in Keras' `MultiHeadAttention`, flattened over heads): `query_kernel`
 * `[Dq, H·keyDim]`, `key_kernel` `[Dk, H·keyDim]`, `value_kernel` `[Dk, H·valueDim]`,
 * `output_kernel` `[H·valueDim, outputDim]` (Glorot-uniform, seeded by `seed`), and the biases
 * `query_bias`, `key_bias`, `value_bias`, `output_bias` (zeros). The attention dropout draws its
 * masks as {@link Dropout} does: the same on every backend, positioned by {@link setRandomStep}
 * in `train()`.
 *
 * @example
 * ```ts
 * const video = tf.input({ shape: [null, 256] });   // [B, T, 256]
 * const pose = tf.input({ shape: [null, 64] });     // [B, Tk, 64]
 * const fused = new CrossAttention({ numHeads: 4, keyDim: 32 }).apply([video, pose]); // [B, T, 256]
 * ```
 */
export class CrossAttention extends tf.layers.Layer implements StochasticLayer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrCrossAttention';

  /** Number of attention heads. */
  readonly numHeads: number;
  /** Size of each head's queries and keys. */
  readonly keyDim: number;
  /** Size of each head's values. */
  readonly valueDim: number;
  /** Size of the output's last axis; `null` for the query's size `Dq`. */
  readonly outputDim: number | null;
  /** Whether the four projections have biases. */
  readonly useBias: boolean;
  /** Dropout rate on the attention probabilities, in training only. */
  readonly dropout: number;
  /** Whether the query is added to the output projection. */
  readonly residual: boolean;
  /** Base seed of the kernels and the attention dropout, or `null`. */
  readonly seed: number | null;
  private readonly stream: MaskStream;
  private queryKernel!: tf.LayerVariable;
  private keyKernel!: tf.LayerVariable;
  private valueKernel!: tf.LayerVariable;
  private outputKernel!: tf.LayerVariable;
  private queryBias: tf.LayerVariable | null = null;
  private keyBias: tf.LayerVariable | null = null;
  private valueBias: tf.LayerVariable | null = null;
  private outputBias: tf.LayerVariable | null = null;
  private resolvedOutputDim = 0;

  constructor(args: CrossAttentionArgs) {
    const fn = 'CrossAttention';
    if (args === null || typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(fn, 'args', 'be an object', args);
    super(args);
    const positive = (name: string, value: unknown) =>
      checkInteger(fn, `args.${name}`, value, { min: 1 });
    this.numHeads = positive('numHeads', args.numHeads);
    this.keyDim = positive('keyDim', args.keyDim);
    this.valueDim = positive('valueDim', args.valueDim ?? args.keyDim);
    this.outputDim = args.outputDim == null ? null : positive('outputDim', args.outputDim);
    this.useBias = checkBoolean(fn, 'args.useBias', args.useBias ?? true);
    this.dropout = checkNumber(fn, 'args.dropout', args.dropout ?? 0, {
      min: 0,
      max: 1,
      maxExclusive: true,
    });
    this.residual = checkBoolean(fn, 'args.residual', args.residual ?? true);
    this.seed = args.seed == null ? null : checkSeed(fn, 'args.seed', args.seed);
    this.stream = new MaskStream(this.seed == null ? null : this.seed + 4);
  }

  /** See {@link StochasticLayer.setRandomStep}. */
  setRandomStep(seed: number, step: number, index: number): void {
    this.stream.setRandomStep(seed, step, index);
  }

  private static shapes(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    if (
      !Array.isArray(inputShape[0]) ||
      (inputShape as tf.Shape[]).length < 2 ||
      (inputShape as tf.Shape[]).length > 3
    ) {
      throw new ArgumentError(APPLY, 'inputs', `be ${INPUTS}`, inputShape, {
        actualText: Array.isArray(inputShape[0])
          ? `${inputShape.length} inputs`
          : `one input of shape ${describeValue(inputShape)}`,
      });
    }
    return inputShape as tf.Shape[];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [queryShape, kvShape, maskShape] = CrossAttention.shapes(inputShape);
    const shapeOf = (shape: tf.Shape) => ({ actualText: `shape ${describeValue(shape)}` });
    if (queryShape.length !== 3)
      throw new ArgumentError(APPLY, 'query', 'be [B, T, Dq]', queryShape, shapeOf(queryShape));
    if (kvShape.length !== 3)
      throw new ArgumentError(APPLY, 'keyValue', 'be [B, Tk, Dk]', kvShape, shapeOf(kvShape));
    if (maskShape != null && maskShape.length !== 2)
      throw new ArgumentError(APPLY, 'keyMask', 'be [B, Tk]', maskShape, shapeOf(maskShape));
    const queryDim = queryShape[2];
    const kvDim = kvShape[2];
    if (queryDim == null) {
      throw new ArgumentError(
        APPLY,
        'query',
        'have a known feature (last) dimension',
        queryShape,
        shapeOf(queryShape),
      );
    }
    if (kvDim == null) {
      throw new ArgumentError(
        APPLY,
        'keyValue',
        'have a known feature (last) dimension',
        kvShape,
        shapeOf(kvShape),
      );
    }
    const outputDim = this.outputDim ?? queryDim;
    if (this.residual && outputDim !== queryDim) {
      throw new ArgumentError(
        'CrossAttention',
        'args.outputDim',
        `equal the query size (${queryDim}) when args.residual is true`,
        outputDim,
      );
    }
    this.resolvedOutputDim = outputDim;
    let kernels = 0;
    const glorot = () =>
      tf.initializers.glorotUniform({
        seed: initializerSeed(this.seed == null ? null : this.seed + kernels++),
      });
    const zeros = tf.initializers.zeros();
    const headsK = this.numHeads * this.keyDim;
    const headsV = this.numHeads * this.valueDim;
    this.queryKernel = this.addWeight(
      'query_kernel',
      [queryDim, headsK],
      'float32',
      glorot(),
      undefined,
      true,
    );
    this.keyKernel = this.addWeight(
      'key_kernel',
      [kvDim, headsK],
      'float32',
      glorot(),
      undefined,
      true,
    );
    this.valueKernel = this.addWeight(
      'value_kernel',
      [kvDim, headsV],
      'float32',
      glorot(),
      undefined,
      true,
    );
    this.outputKernel = this.addWeight(
      'output_kernel',
      [headsV, outputDim],
      'float32',
      glorot(),
      undefined,
      true,
    );
    if (this.useBias) {
      this.queryBias = this.addWeight('query_bias', [headsK], 'float32', zeros, undefined, true);
      this.keyBias = this.addWeight('key_bias', [headsK], 'float32', zeros, undefined, true);
      this.valueBias = this.addWeight('value_bias', [headsV], 'float32', zeros, undefined, true);
      this.outputBias = this.addWeight(
        'output_bias',
        [outputDim],
        'float32',
        zeros,
        undefined,
        true,
      );
    }
    this.built = true;
  }

  /** `[B, L, D]·W + b`, reshaped to heads `[B, H, L, d]`. */
  private projectHeads(
    x: tf.Tensor,
    kernel: tf.LayerVariable,
    bias: tf.LayerVariable | null,
    headDim: number,
  ): tf.Tensor {
    const [batch, length, features] = x.shape as [number, number, number];
    let y = tf.matMul(tf.reshape(x, [batch * length, features]), kernel.read());
    if (bias != null) y = tf.add(y, bias.read());
    return tf.transpose(tf.reshape(y, [batch, length, this.numHeads, headDim]), [0, 2, 1, 3]);
  }

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: tf.serialization.ConfigDict = {},
  ): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length < 2 || inputs.length > 3)
        throw new ArgumentError(APPLY, 'inputs', `be ${INPUTS}`, inputs);
      const [query, keyValue, keyMask] = inputs;
      const [batch, length] = query.shape as [number, number, number];
      if (keyValue.shape[0] !== batch) {
        throw new ArgumentError(
          APPLY,
          'keyValue',
          `have the query's batch size (${batch})`,
          keyValue,
          { actualText: `batch size ${keyValue.shape[0]}` },
        );
      }
      const q = this.projectHeads(query, this.queryKernel, this.queryBias, this.keyDim); // [B, H, T, dk]
      const k = this.projectHeads(keyValue, this.keyKernel, this.keyBias, this.keyDim); // [B, H, Tk, dk]
      const v = this.projectHeads(keyValue, this.valueKernel, this.valueBias, this.valueDim); // [B, H, Tk, dv]
      let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(this.keyDim)); // [B, H, T, Tk]
      if (keyMask != null) {
        const blocked = tf.mul(tf.sub(1, tf.cast(keyMask, 'float32')), -1e9);
        scores = tf.add(scores, tf.reshape(blocked, [batch, 1, 1, -1]));
      }
      let weights = tf.softmax(scores);
      if (kwargs['training'] === true && this.dropout > 0)
        weights = tf.mul(weights, this.stream.mask(weights.shape, this.dropout));
      const context = tf.matMul(weights, v); // [B, H, T, dv]
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [
        batch * length,
        this.numHeads * this.valueDim,
      ]);
      let out = tf.matMul(merged, this.outputKernel.read());
      if (this.outputBias != null) out = tf.add(out, this.outputBias.read());
      out = tf.reshape(out, [batch, length, this.resolvedOutputDim]);
      return this.residual ? tf.add(query, out) : out;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [queryShape] = CrossAttention.shapes(inputShape);
    return [queryShape[0], queryShape[1], this.outputDim ?? queryShape[2]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      useBias: this.useBias,
      dropout: this.dropout,
      residual: this.residual,
      seed: this.seed,
    };
    if (this.outputDim != null) config['outputDim'] = this.outputDim;
    return config;
  }
}
tf.serialization.registerClass(CrossAttention);
