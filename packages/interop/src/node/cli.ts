/**
 * `slr-convert`: a PyTorch checkpoint into a tfjs model folder (`model.json` and its weights,
 * what `tf.loadLayersModel` reads), and a model folder back into safetensors for PyTorch.
 *
 *   slr-convert to-tfjs <checkpoint> <model-folder> --model KIND [--num-classes N]
 *               [--input-shape SHAPE] [--options JSON] [--naming NAMING] [--partial]
 *   slr-convert to-torch <model-folder> <out.safetensors> [--naming NAMING]
 */
import { runSlrConvert } from './convert-cli';

runSlrConvert(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `slr-convert: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
