/**
 * The overfit test with the MobileNetV3 student: five synthetic samples to 0% WER.
 *
 *   pnpm overfit:student [--backend cpu|webgpu] [--size tiny|full] [--preset conservative] [--raw-logits] [--help]
 */
import { buildMobileNetV3Student } from '@slr/models-mobilenetv3';
import { type OverfitRecipe, runOverfit } from './overfit';

/** The student's overfit recipe: tiny = MobileNetV3-Small at width 0.25, 32×32 frames, 4 fps. */
export const studentRecipe: OverfitRecipe = {
  name: 'MobileNetV3 student',
  build: ({ numClasses, inputShape, size, dropout, seed }) =>
    buildMobileNetV3Student({
      numClasses,
      inputShape,
      variant: size === 'tiny' ? 'small' : 'large',
      widthMultiplier: size === 'tiny' ? 0.25 : 1,
      temporalHead: 'K3-P2',
      temporalChannels: size === 'tiny' ? 64 : 512,
      lstmUnits: size === 'tiny' ? 64 : 256,
      dropout,
      seed,
      // Moving statistics that follow the last few batches: with ~50 BatchNorm layers in series the
      // student's inference-mode outputs drift from its training-mode ones at PyTorch's 0.1 (0.9).
      batchNormMomentum: 0.3,
    }),
  video: { tiny: { height: 32, width: 32, fps: 4 }, full: { height: 112, width: 112, fps: 12 } },
  defaults: { learningRate: 0.003, warmupEpochs: 20, epochs: 400, dropout: 0.1 },
};

runOverfit(studentRecipe, process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
