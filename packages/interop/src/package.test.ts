import { describe, expect, it } from 'vitest';
import * as interop from './index';
import * as interopNode from './node';

describe('@slr/interop entry points', () => {
  it('exports the public API, and no internal helper', () => {
    for (const name of [
      'readSafetensors',
      'writeSafetensors',
      'readTorchCheckpoint',
      'readTorchWeights',
      'stateDictOf',
      'isTensorData',
      'TorchFormatError',
    ])
      expect(interop, name).toHaveProperty(name);
    for (const name of [
      'unpickle',
      'parseSafetensors',
      'serializeSafetensors',
      'decodeValues',
      'encodeValues',
      'readZipDirectory',
      'failureFor',
      'ELEMENT_SIZES',
    ])
      expect(interop, name).not.toHaveProperty(name);
  });

  it('reads and writes files by path from @slr/interop/node only', () => {
    for (const name of ['readTorchWeightsFile', 'writeSafetensorsFile']) {
      expect(interopNode, name).toHaveProperty(name);
      expect(interop, name).not.toHaveProperty(name);
    }
  });
});
