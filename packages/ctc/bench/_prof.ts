import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch } from '../src/decode/beam-search';
await tf.setBackend('cpu');
const lp = tf.tidy(() => tf.logSoftmax(tf.randomNormal([150, 16, 1296], 0, 1, 'float32', 7)) as tf.Tensor3D);
await ctcBeamSearch(lp);
const s = performance.now();
for (let i = 0; i < 30; i++) await ctcBeamSearch(lp);
console.log((performance.now() - s) / 480, 'ms/utt');
