/**
 * `slr-convert`'s work: a PyTorch checkpoint into a tfjs model folder (`model.json` and its
 * weights, what `tf.loadLayersModel` reads) and a model folder back into safetensors. The models
 * it builds are the entries of {@link MODEL_KINDS}; a new kind of model is a new entry there.
 *
 * @internal
 * @packageDocumentation
 */
import { basename } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '@slr/layers/node';
import {
  buildI3DBackbone,
  buildI3DTeacher,
  type I3DBackboneOptions,
  type I3DTeacherOptions,
} from '@slr/models-i3d';
import {
  buildMobileNetV3Classifier,
  buildMobileNetV3Features,
  buildMobileNetV3Student,
  type MobileNetV3ClassifierOptions,
  type MobileNetV3FeaturesOptions,
  type MobileNetV3StudentOptions,
} from '@slr/models-mobilenetv3';
import { NAMING_SCHEMES, NAMINGS, type TorchNaming } from '../mapping/schemes';
import type { TensorData } from '../tensor-data';
import {
  layersModelOf,
  stateDictFor,
  type LoadTorchWeightsResult,
  type TorchWeightsModel,
} from '../torch-weights';
import { readTorchWeightsFile, writeSafetensorsFile } from './files';
import { loadTorchWeights } from './torch-weights';

/** What a {@link ModelKind} builds its model from. */
export interface ModelKindInput {
  /** The checkpoint's state dict (to tell the number of classes, say). */
  stateDict: ReadonlyMap<string, TensorData>;
  /** `--num-classes`, when given. */
  numClasses: number | undefined;
  /** `--input-shape`, when given. */
  inputShape: (number | null)[] | undefined;
  /** `--options`: more options of the builder, as they are (the builder checks them). */
  options: Record<string, unknown>;
}

/** A kind of model `slr-convert to-tfjs` builds: its builder, and the naming of its checkpoints. */
export interface ModelKind {
  /** One line for `--help`. */
  description: string;
  /** The naming its PyTorch checkpoints use. */
  naming: TorchNaming;
  /** The model, untrained, to load the checkpoint into; the builder's options to record. */
  build(input: ModelKindInput): { model: TorchWeightsModel; options: Record<string, unknown> };
}

/** A problem with what the user asked for (exit code 2), rather than with a file (1). */
export class ConvertUsageError extends Error {}

/** The first dimension of `key`'s tensor, when the state dict has it. */
function outputsOf(stateDict: ReadonlyMap<string, TensorData>, key: string): number | undefined {
  return stateDict.get(key)?.shape[0];
}

/** `numClasses` as given, else as the checkpoint's `key` tells it. */
function classesFor(input: ModelKindInput, key: string, kind: string): number {
  const classes = input.numClasses ?? outputsOf(input.stateDict, key);
  if (classes === undefined) {
    throw new ConvertUsageError(
      `the checkpoint has no '${key}' to tell the number of classes of a ${kind} from: pass ` +
        `--num-classes N (or convert a checkpoint of the whole classifier)`,
    );
  }
  return classes;
}

function mobileNetV3(variant: 'large' | 'small'): ModelKind {
  const kind = `mobilenetv3-${variant}`;
  return {
    description: `torchvision's mobilenet_v3_${variant}, any num_classes`,
    naming: 'torchvision',
    build(input) {
      const options: Record<string, unknown> = {
        variant,
        inputShape: input.inputShape ?? [null, null, 3],
        ...input.options,
        numClasses: classesFor(input, 'classifier.3.weight', kind),
      };
      // The builders check their options.
      const model = buildMobileNetV3Classifier(options as unknown as MobileNetV3ClassifierOptions);
      return { model, options };
    },
  };
}

function mobileNetV3Features(variant: 'large' | 'small'): ModelKind {
  return {
    description: `its .features alone (keys features.*)`,
    naming: 'torchvision',
    build(input) {
      if (input.numClasses !== undefined)
        throw new ConvertUsageError('a feature extractor has no classes: leave out --num-classes');
      const options: Record<string, unknown> = {
        variant,
        inputShape: input.inputShape ?? [null, null, 3],
        ...input.options,
      };
      const model = buildMobileNetV3Features(options as unknown as MobileNetV3FeaturesOptions);
      return { model, options };
    },
  };
}

function mobileNetV3Student(variant: 'large' | 'small'): ModelKind {
  const kind = `mobilenetv3-${variant}-student`;
  return {
    description:
      `the @slr CSLR student on MobileNetV3-${variant === 'large' ? 'Large' : 'Small'} ` +
      "(python/slr_torch's twin)",
    naming: 'slr',
    build(input) {
      const options: Record<string, unknown> = {
        variant,
        inputShape: input.inputShape ?? [null, 224, 224, 3],
        ...input.options,
        numClasses: classesFor(input, 'classifier.weight', kind),
      };
      const model = buildMobileNetV3Student(options as unknown as MobileNetV3StudentOptions);
      return { model, options };
    },
  };
}

/**
 * The models `slr-convert to-tfjs --model <kind>` builds, by kind. `--input-shape` defaults to
 * any image size for MobileNetV3 and `[null, 224, 224, 3]` (any length) for I3D.
 */
export const MODEL_KINDS: Readonly<Record<string, ModelKind>> = {
  'mobilenetv3-large': mobileNetV3('large'),
  'mobilenetv3-small': mobileNetV3('small'),
  'mobilenetv3-large-features': mobileNetV3Features('large'),
  'mobilenetv3-small-features': mobileNetV3Features('small'),
  i3d: {
    description:
      "pytorch-i3d's InceptionI3d (with its head if the\n" +
      'checkpoint has logits.*, else up to Mixed_5c)',
    naming: 'pytorch-i3d',
    build(input) {
      const logitsClasses = input.numClasses ?? outputsOf(input.stateDict, 'logits.conv3d.weight');
      const options: Record<string, unknown> = {
        inputShape: input.inputShape ?? [null, 224, 224, 3],
        ...(logitsClasses === undefined ? {} : { logitsClasses, logitsHead: 'pytorch-i3d' }),
        ...input.options,
      };
      return { model: buildI3DBackbone(options as unknown as I3DBackboneOptions), options };
    },
  },
  'i3d-teacher': {
    description: "the @slr CSLR teacher (python/slr_torch's twin)",
    naming: 'slr',
    build(input) {
      const options: Record<string, unknown> = {
        inputShape: input.inputShape ?? [null, 224, 224, 3],
        ...input.options,
        numClasses: classesFor(input, 'classifier.weight', 'i3d-teacher'),
      };
      return { model: buildI3DTeacher(options as unknown as I3DTeacherOptions), options };
    },
  },
  'mobilenetv3-large-student': mobileNetV3Student('large'),
  'mobilenetv3-small-student': mobileNetV3Student('small'),
};

/** The names of {@link MODEL_KINDS}. */
export const MODEL_KIND_NAMES = Object.keys(MODEL_KINDS);

/** What `to-tfjs` asks for. */
export interface ToTfjsRequest {
  checkpoint: string;
  folder: string;
  kind: string;
  numClasses?: number;
  inputShape?: (number | null)[];
  naming?: TorchNaming;
  options?: Record<string, unknown>;
  /** Load what matches (`strict: false`). */
  partial?: boolean;
}

/** What `to-tfjs` did. */
export interface ToTfjsResult {
  model: tf.LayersModel;
  load: LoadTorchWeightsResult;
  options: Record<string, unknown>;
  modelJsonPath: string;
  weightsPaths: string[];
  weightDataBytes: number;
}

/** The metadata `to-tfjs` writes in `model.json` (`userDefinedMetadata.slrConvert`). */
export interface ConvertMetadata {
  model: string;
  naming: TorchNaming;
  source: string;
  options: Record<string, unknown>;
}

/**
 * Reads `checkpoint`, builds the model of `kind`, loads the weights (strict unless `partial`)
 * and saves the model to `folder` with `saveModel`. The model is disposed of unless returned.
 */
export async function convertToTfjs(request: ToTfjsRequest): Promise<ToTfjsResult> {
  const kind = MODEL_KINDS[request.kind];
  if (kind === undefined) {
    throw new ConvertUsageError(
      `unknown model '${request.kind}'; the models are ${MODEL_KIND_NAMES.join(', ')}`,
    );
  }
  const { tensors } = await readTorchWeightsFile(request.checkpoint);
  const { model, options } = kind.build({
    stateDict: tensors,
    numClasses: request.numClasses,
    inputShape: request.inputShape,
    options: request.options ?? {},
  });
  const layersModel = layersModelOf('slr-convert', model);
  try {
    const naming = request.naming ?? kind.naming;
    const load = await loadTorchWeights(model, tensors, {
      naming,
      strict: !(request.partial ?? false),
      file: request.checkpoint,
    });
    const metadata: ConvertMetadata = {
      model: request.kind,
      naming,
      source: basename(request.checkpoint),
      options,
    };
    const saved = await saveModel(layersModel, request.folder, {
      metadata: { slrConvert: metadata } as unknown as Record<string, unknown>,
    });
    return { model: layersModel, load, options, ...saved };
  } catch (error) {
    layersModel.dispose();
    throw error;
  }
}

/** What `to-torch` did. */
export interface ToTorchResult {
  /** The tfjs model's name. */
  model: string;
  /** The naming of the keys written (`undefined` if none names them all). */
  naming: TorchNaming | undefined;
  /** The state dict's keys, as many as PyTorch's `state_dict()` has. */
  keys: number;
}

/**
 * Loads the model folder with `loadModel` and writes its weights to `out` as
 * `saveTorchWeights` does (the naming given, else the one `to-tfjs` recorded, else the one that
 * names every weight).
 */
export async function convertToTorch(
  folder: string,
  out: string,
  naming?: TorchNaming,
): Promise<ToTorchResult> {
  const model = await loadModel(folder);
  try {
    const metadata = model.getUserDefinedMetadata() as
      { slrConvert?: Partial<ConvertMetadata> } | undefined;
    const recorded = metadata?.slrConvert?.naming;
    const given = naming ?? (NAMINGS.includes(recorded as TorchNaming) ? recorded : undefined);
    const stateDict = stateDictFor('saveTorchWeights', model, { naming: given }, out);
    await writeSafetensorsFile(out, stateDict, {
      metadata: { format: 'pt' },
      createFolder: true,
    });
    const keys = [...stateDict.keys()];
    return {
      model: model.name,
      naming: given ?? NAMINGS.find((n) => keys.every((key) => NAMING_SCHEMES[n].recognises(key))),
      keys: keys.length,
    };
  } finally {
    model.dispose();
  }
}
