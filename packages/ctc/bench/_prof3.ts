import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch } from '../src/decode/beam-search';
import { NGramLanguageModel } from '../src/lm/language-model';
await tf.setBackend('cpu');
const V=1296;
let st=1; const random=()=>{st=(st*1664525+1013904223)>>>0;return st/2**32;};
const words=['<unk>','<s>','</s>']; for(let i=1;i<V;i++) words.push(String(i));
const uni=words.map(w=>`${(-1-3*random()).toFixed(4)}\t${w}\t${(-0.5*random()).toFixed(4)}`);
const bi=new Set<string>(); for(const w of words){ if(w==='</s>'||w==='<unk>')continue; for(let k=0;k<20;k++){const n=words[2+Math.floor(random()*(words.length-2))]; if(n!=='<s>')bi.add(`${w} ${n}`);}}
const bl=[...bi].map(k=>`${(-0.3-2*random()).toFixed(4)}\t${k}`);
const text=['\\data\\',`ngram 1=${uni.length}`,`ngram 2=${bl.length}`,'','\\1-grams:',...uni,'','\\2-grams:',...bl,'','\\end\\',''].join('\n');
const lm = NGramLanguageModel.fromArpa(text);
const lp = tf.tidy(() => tf.logSoftmax(tf.randomNormal([150, 16, 1296], 0, 1, 'float32', 7)) as tf.Tensor3D);
await ctcBeamSearch(lp, undefined, {lm});
let calls=0; const orig=lm.score.bind(lm); (lm as any).score=(s:any,t:number)=>{calls++;return orig(s,t);};
const s = performance.now();
for (let i = 0; i < 3; i++) await ctcBeamSearch(lp, undefined, {lm});
console.log((performance.now() - s) / 48, 'ms/utt', calls/48, 'lm calls/utt');
