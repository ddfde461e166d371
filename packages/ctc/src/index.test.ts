import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as ctc from './index';

describe('the public surface of @slr/ctc', () => {
  it('exports what users call, and no kernel-level names', () => {
    expect(Object.keys(ctc).sort()).toEqual([
      'ArpaParseError',
      'DEFAULT_BEAM_WIDTH',
      'DEFAULT_LM_WEIGHT',
      'DEFAULT_MAX_PENDING_TOKENS',
      'DEFAULT_TOKEN_CUTOFF',
      'NGramLanguageModel',
      'createCtcStreamingBeamSearch',
      'createCtcStreamingGreedyDecoder',
      'ctcBeamSearch',
      'ctcGreedyDecode',
      'ctcLoss',
      'editDistance',
      'logSoftmax',
      'parseArpa',
      'wordErrorRate',
    ]);
  });

  it('registers its kernels on import, under new names (Slr…)', () => {
    const names = ['SlrCtcLoss', 'SlrCtcLossGrad', 'SlrLogSoftmax', 'SlrLogSoftmaxGrad'];
    for (const backend of ['cpu', 'webgpu'])
      for (const name of names)
        expect(tf.getKernel(name, backend), `${name} on ${backend}`).toBeDefined();
  });
});
