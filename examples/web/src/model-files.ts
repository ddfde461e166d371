/**
 * Loads what the app runs from a model folder served over HTTP: `model.json` and its weights
 * (a tfjs LayersModel, as `saveModel` of `@slr/layers/node`, `slr-convert` and the training
 * checkpoints write it), `vocabulary.json` (a `GlossVocabularyJson`) and, optionally,
 * `lm.arpa`. Every failure is an {@link AppError} that says what to do.
 */
import * as tf from '@tensorflow/tfjs';
import '@slr/layers'; // registers the custom layers (LogSoftmax, BatchNormalization, Dropout…)
import '@slr/models-mobilenetv3'; // registers FoldTime and UnfoldTime
import { GlossVocabulary } from '@slr/data';
import { pairingProblem } from './recognizer';

/** An error the user can act on; `kind` names it for the page (and its test). */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly kind:
      | 'model-not-found'
      | 'model-invalid'
      | 'vocabulary-not-found'
      | 'vocabulary-invalid'
      | 'pairing'
      | 'lm-invalid'
      | 'camera'
      | 'backend'
      | 'video',
    message: string,
  ) {
    super(message);
  }
}

/** What {@link loadModelFolder} loads. */
export interface ModelFolder {
  model: tf.LayersModel;
  vocabulary: GlossVocabulary;
  /** The LM's text, when the folder has `lm.arpa`. */
  arpa?: string;
  /** Bytes of `model.json` and its weight files: what a user downloads. */
  downloadBytes: number;
}

async function fetchOrUndefined(url: string): Promise<Response | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? response : undefined;
  } catch {
    return undefined;
  }
}

/** Loads the folder at `base` (a URL ending in `/`). `withLm`: look for `lm.arpa` there. */
export async function loadModelFolder(base: string, withLm: boolean): Promise<ModelFolder> {
  const modelUrl = new URL('model.json', base).href;
  const modelResponse = await fetchOrUndefined(modelUrl);
  if (modelResponse === undefined) {
    throw new AppError(
      'model-not-found',
      `No model at ${modelUrl}. Serve the folder that pnpm overfit:student, pnpm distill or ` +
        `slr-convert wrote (model.json, its weights and vocabulary.json) at /model/, or give ` +
        `its address with ?model=<url>.`,
    );
  }
  let downloadBytes = 0;
  let artifacts: tf.io.ModelArtifacts;
  try {
    const text = await modelResponse.text();
    downloadBytes += text.length;
    const json = JSON.parse(text) as tf.io.ModelJSON;
    artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        for (const path of group.paths) {
          const url = new URL(path, modelUrl).href;
          const response = await fetchOrUndefined(url);
          if (response === undefined)
            throw new AppError('model-invalid', `The weights file ${url} of the model is missing.`);
          buffers.push(await response.arrayBuffer());
        }
        specs.push(...group.weights);
      }
      const weights = tf.io.concatenateArrayBuffers(buffers);
      downloadBytes += weights.byteLength;
      return [specs, weights];
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('model-invalid', `${modelUrl} is not a tfjs model: ${String(error)}`);
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new AppError(
      'model-invalid',
      `${modelUrl} could not be loaded as a MobileNetV3 student: ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }

  const vocabularyUrl = new URL('vocabulary.json', base).href;
  const vocabularyResponse = await fetchOrUndefined(vocabularyUrl);
  if (vocabularyResponse === undefined) {
    model.dispose();
    throw new AppError(
      'vocabulary-not-found',
      `No vocabulary at ${vocabularyUrl}: put the vocabulary.json of the model's training data ` +
        `(a corpus's annotations/vocabulary.json, GlossVocabulary.toJSON()) beside model.json.`,
    );
  }
  let vocabulary: GlossVocabulary;
  try {
    vocabulary = GlossVocabulary.fromJSON(await vocabularyResponse.json(), vocabularyUrl);
  } catch (error) {
    model.dispose();
    throw new AppError(
      'vocabulary-invalid',
      error instanceof Error ? error.message : String(error),
    );
  }
  const output = model.outputs[0].shape;
  const problem = pairingProblem(output[output.length - 1] as number, vocabulary);
  if (problem !== undefined) {
    model.dispose();
    throw new AppError('pairing', problem);
  }

  let arpa: string | undefined;
  if (withLm) {
    const lmResponse = await fetchOrUndefined(new URL('lm.arpa', base).href);
    if (lmResponse !== undefined) arpa = await lmResponse.text();
  }
  return { model, vocabulary, arpa, downloadBytes };
}
