/**
 * `@slr/interop`: PyTorch weights for TensorFlow.js, without PyTorch. Reads safetensors files
 * and `torch.save` checkpoints (the zip format of PyTorch 1.6 and later, and the legacy format)
 * from their bytes, with a safe unpickler that never runs code from a file, and writes
 * safetensors files that `safetensors.torch.load_file` reads; loads PyTorch weights into the
 * `@slr` models (`loadTorchWeights`: torchvision's MobileNetV3, pytorch-i3d's and slr_torch's names) and
 * saves them for their PyTorch twins (`torchWeightsBytes`). Browser-safe; reading and writing
 * files by path is in `@slr/interop/node`.
 *
 * @module @slr/interop
 */
export { TorchFormatError, TorchWeightsError, type TorchWeightsErrorDetails } from './errors';
export { isTensorData, type TensorData, type TensorDtype, type TensorValues } from './tensor-data';
export {
  readSafetensors,
  writeSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsContents,
  type WritableTensor,
  type WriteSafetensorsOptions,
} from './safetensors';
export {
  readTorchCheckpoint,
  readTorchWeights,
  stateDictOf,
  type CheckpointValue,
  type ReadTorchOptions,
  type TorchWeights,
  type WeightsFormat,
} from './torch';
export {
  loadTorchWeights,
  torchStateDict,
  torchWeightsBytes,
  type LoadTorchWeightsOptions,
  type LoadTorchWeightsResult,
  type MissingWeight,
  type TorchNaming,
  type TorchStateDictOptions,
  type TorchWeightsBytesOptions,
  type TorchWeightsModel,
  type TorchWeightsSource,
} from './torch-weights';
