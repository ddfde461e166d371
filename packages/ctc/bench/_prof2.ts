import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch } from '../src/decode/beam-search';
await tf.setBackend('cpu');
const lp = tf.tidy(() => tf.logSoftmax(tf.randomNormal([150, 16, 1296], 0, 1, 'float32', 7)) as tf.Tensor3D);
for (const opts of [{beamWidth:10, tokenCutoff:10},{beamWidth:10, tokenCutoff:20},{beamWidth:10, tokenCutoff:40},{beamWidth:10, tokenCutoff:100}]) {
  await ctcBeamSearch(lp, undefined, opts);
  const s = performance.now();
  for (let i = 0; i < 20; i++) await ctcBeamSearch(lp, undefined, opts);
  console.log(JSON.stringify(opts), ((performance.now() - s) / 320).toFixed(3), 'ms/utt');
}
