/**
 * The overfit test with the I3D teacher: five synthetic samples to 0% WER.
 *
 *   pnpm overfit:teacher [--backend cpu|webgpu] [--size tiny|full] [--preset conservative] [--raw-logits] [--help]
 */
import { buildI3DTeacher } from '@slr/models-i3d';
import { type OverfitRecipe, runOverfit } from './overfit';

/** The I3D teacher's overfit recipe: tiny = width 1/8 at 16×16 frames, 6 fps (CPU-sized). */
export const teacherRecipe: OverfitRecipe = {
  name: 'I3D teacher',
  build: ({ numClasses, inputShape, size, dropout, seed }) =>
    buildI3DTeacher({
      numClasses,
      inputShape,
      widthMultiplier: size === 'tiny' ? 1 / 8 : 1,
      lstmUnits: size === 'tiny' ? 64 : 256,
      dropout,
      seed,
      // PyTorch's BatchNorm momentum 0.1: moving statistics catch up within tens of steps, so the
      // evaluation (inference mode) sees what training sees.
      batchNormMomentum: 0.9,
    }),
  video: { tiny: { height: 16, width: 16, fps: 6 }, full: { height: 112, width: 112, fps: 12 } },
  defaults: { learningRate: 0.003, warmupEpochs: 20, epochs: 400, dropout: 0.1 },
};

runOverfit(teacherRecipe, process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
