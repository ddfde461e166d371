// packages/ctc/bench/_prof.ts
import * as tf from "@tensorflow/tfjs";

// packages/ctc/src/decode/types.ts
function checkDecoderInput(op, logProbs, inputLengths, blank) {
  const arg = (name) => `Argument '${name}' passed to '${op}'`;
  if (logProbs == null || !Array.isArray(logProbs.shape)) {
    throw new Error(`${arg("logProbs")} must be a tf.Tensor3D [T, B, V], but got ${String(logProbs)}`);
  }
  if (logProbs.rank !== 3) {
    throw new Error(`${arg("logProbs")} must be rank 3 [T, B, V], but got rank ${logProbs.rank}`);
  }
  if (logProbs.dtype !== "float32") {
    throw new Error(`${arg("logProbs")} must have dtype float32, but got ${logProbs.dtype}`);
  }
  const [T, B, V] = logProbs.shape;
  const resolvedBlank = blank ?? 0;
  if (!Number.isInteger(resolvedBlank) || resolvedBlank < 0 || resolvedBlank >= V) {
    throw new Error(`${arg("options.blank")} must be an integer in [0, V = ${V}), but got ${resolvedBlank}`);
  }
  let lengths;
  if (inputLengths == null) {
    lengths = new Array(B).fill(T);
  } else {
    if (!Array.isArray(inputLengths)) {
      throw new Error(`${arg("inputLengths")} must be an array of B = ${B} integers, but got ${String(inputLengths)}`);
    }
    if (inputLengths.length !== B) {
      throw new Error(
        `${arg("inputLengths")} must have length B = ${B} (one per batch item), but got length ${inputLengths.length}`
      );
    }
    inputLengths.forEach((length, b) => {
      if (!Number.isInteger(length) || length < 0 || length > T) {
        throw new Error(`${arg("inputLengths")} must hold integers in [0, T = ${T}], but got inputLengths[${b}] = ${length}`);
      }
    });
    lengths = [...inputLengths];
  }
  return { T, B, V, lengths, blank: resolvedBlank };
}

// packages/ctc/src/decode/beam-search.ts
var DEFAULT_BEAM_WIDTH = 10;
var DEFAULT_TOKEN_CUTOFF = 40;
var DEFAULT_LM_WEIGHT = 0.5;
function logAddExp(a, b) {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
var Emission = class {
  constructor(frame, previous) {
    this.frame = frame;
    this.previous = previous;
  }
  frame;
  previous;
};
var Prefix = class {
  constructor(token, parent, lmState, lmLogProb, bonus) {
    this.token = token;
    this.parent = parent;
    this.lmState = lmState;
    this.lmLogProb = lmLogProb;
    this.bonus = bonus;
  }
  token;
  parent;
  lmState;
  lmLogProb;
  bonus;
  children = null;
  /** ln P(prefix, path ends in blank) after the last processed frame. */
  blank = -Infinity;
  /** ln P(prefix, path ends in its last token) after the last processed frame. */
  nonBlank = -Infinity;
  emission = null;
  /** Frame whose candidates this prefix is among; -1 when none yet. */
  stamp = -1;
  nextBlank = -Infinity;
  nextNonBlank = -Infinity;
  /** True when the prefix enters the beam at this frame: its last token is emitted now. */
  nextFresh = false;
  nextParentEmission = null;
  /** Candidate score: acoustic + bonus; NaN is stored as -Infinity. */
  score = -Infinity;
  tokens() {
    const tokens = [];
    for (let node = this; node?.parent != null; node = node.parent) tokens.push(node.token);
    return tokens.reverse();
  }
};
function compareTokens(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
function ranksBefore(a, b) {
  if (a.score !== b.score) return a.score > b.score;
  return compareTokens(a.tokens(), b.tokens()) < 0;
}
function tokenBefore(tokens, logProbs, i, j) {
  return logProbs[i] > logProbs[j] || logProbs[i] === logProbs[j] && tokens[i] < tokens[j];
}
function swapTokens(tokens, logProbs, i, j) {
  const token = tokens[i];
  tokens[i] = tokens[j];
  tokens[j] = token;
  const logProb = logProbs[i];
  logProbs[i] = logProbs[j];
  logProbs[j] = logProb;
}
function selectBest(tokens, logProbs, count, k) {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    swapTokens(tokens, logProbs, lo + hi >> 1, hi);
    let store = lo;
    for (let i = lo; i < hi; i++) {
      if (tokenBefore(tokens, logProbs, i, hi)) swapTokens(tokens, logProbs, i, store++);
    }
    swapTokens(tokens, logProbs, store, hi);
    if (store === k - 1 || store === k) return;
    if (store > k) hi = store - 1;
    else lo = store + 1;
  }
}
function selectFrameTokens(data, offset, V, blank, minLogProb, cutoff, tokens, logProbs) {
  let count = 0;
  if (cutoff >= V - 1) {
    for (let v = 0; v < V; v++) {
      const logProb = data[offset + v];
      if (v === blank || !(logProb >= minLogProb)) continue;
      tokens[count] = v;
      logProbs[count++] = logProb;
    }
    return count;
  }
  const capacity = 2 * cutoff;
  let threshold = minLogProb;
  let admitEqual = true;
  for (let v = 0; v < V; v++) {
    const logProb = data[offset + v];
    if (v === blank || !(logProb > threshold || admitEqual && logProb === threshold)) continue;
    if (count === capacity) {
      selectBest(tokens, logProbs, count, cutoff);
      count = cutoff;
      threshold = logProbs[0];
      for (let i = 1; i < cutoff; i++) if (logProbs[i] < threshold) threshold = logProbs[i];
      admitEqual = false;
      if (!(logProb > threshold)) continue;
    }
    tokens[count] = v;
    logProbs[count++] = logProb;
  }
  if (count > cutoff) {
    selectBest(tokens, logProbs, count, cutoff);
    count = cutoff;
  }
  insertionSort(tokens, logProbs, count);
  return count;
}
function insertionSort(tokens, logProbs, count) {
  for (let i = 1; i < count; i++) {
    const token = tokens[i];
    const logProb = logProbs[i];
    let j = i;
    for (; j > 0 && (logProbs[j - 1] < logProb || logProbs[j - 1] === logProb && tokens[j - 1] > token); j--) {
      tokens[j] = tokens[j - 1];
      logProbs[j] = logProbs[j - 1];
    }
    tokens[j] = token;
    logProbs[j] = logProb;
  }
}
function resolveOptions(options, blank) {
  const arg = (name) => `Argument 'options.${name}' passed to 'ctcBeamSearch'`;
  const isInteger = (value) => Number.isInteger(value);
  const beamWidth = options.beamWidth ?? DEFAULT_BEAM_WIDTH;
  if (!isInteger(beamWidth) || beamWidth < 1) {
    throw new Error(`${arg("beamWidth")} must be an integer >= 1, but got ${beamWidth}`);
  }
  const nBest = options.nBest ?? 1;
  if (!isInteger(nBest) || nBest < 1 || nBest > beamWidth) {
    throw new Error(`${arg("nBest")} must be an integer in [1, beamWidth = ${beamWidth}], but got ${nBest}`);
  }
  const tokenCutoff = options.tokenCutoff ?? DEFAULT_TOKEN_CUTOFF;
  if (!(isInteger(tokenCutoff) || tokenCutoff === Infinity) || tokenCutoff < 1) {
    throw new Error(`${arg("tokenCutoff")} must be an integer >= 1 or Infinity, but got ${tokenCutoff}`);
  }
  const pruneLogProb = options.pruneLogProb ?? -Infinity;
  if (typeof pruneLogProb !== "number" || Number.isNaN(pruneLogProb)) {
    throw new Error(`${arg("pruneLogProb")} must be a number (a log-probability), but got ${pruneLogProb}`);
  }
  const lmWeight = options.lmWeight ?? DEFAULT_LM_WEIGHT;
  if (typeof lmWeight !== "number" || !Number.isFinite(lmWeight)) {
    throw new Error(`${arg("lmWeight")} must be a finite number, but got ${lmWeight}`);
  }
  const insertionBonus = options.insertionBonus ?? 0;
  if (typeof insertionBonus !== "number" || !Number.isFinite(insertionBonus)) {
    throw new Error(`${arg("insertionBonus")} must be a finite number, but got ${insertionBonus}`);
  }
  const { lm } = options;
  if (lm != null && (typeof lm.initialState !== "function" || typeof lm.score !== "function" || typeof lm.finish !== "function")) {
    throw new Error(`${arg("lm")} must be a LanguageModel with initialState(), score() and finish(), but got ${String(lm)}`);
  }
  return { blank, beamWidth, nBest, tokenCutoff, pruneLogProb, lm: lm ?? void 0, lmWeight, insertionBonus };
}
function searchItem(data, b, B, V, length, options) {
  const { blank, beamWidth, nBest, tokenCutoff, pruneLogProb, lm, lmWeight, insertionBonus } = options;
  const weighted = (logProb) => lmWeight === 0 ? 0 : lmWeight * logProb;
  const childOf = (node, token) => {
    if (node.children == null) node.children = /* @__PURE__ */ new Map();
    let child = node.children.get(token);
    if (child === void 0) {
      let lmState = null;
      let lmLogProb = 0;
      if (lm !== void 0) {
        const scored = lm.score(node.lmState, token);
        lmState = scored.state;
        lmLogProb = scored.logProb;
      }
      child = new Prefix(token, node, lmState, node.lmLogProb + lmLogProb, node.bonus + weighted(lmLogProb) + insertionBonus);
      node.children.set(token, child);
    }
    return child;
  };
  const root = new Prefix(-1, null, lm?.initialState() ?? null, 0, 0);
  root.blank = 0;
  let beam = [root];
  const totals = new Float64Array(beamWidth);
  const cutoff = Math.min(tokenCutoff, V - 1);
  const selectTopTokens = cutoff < V - 1;
  const frameTokens = new Int32Array(selectTopTokens ? 2 * cutoff : V);
  const frameLogProbs = new Float64Array(frameTokens.length);
  const candidates = [];
  const top = [];
  const bounds = new Float64Array(beamWidth);
  let boundCount = 0;
  const addBound = (score) => {
    if (!(score > -Infinity) || boundCount === beamWidth && score <= bounds[beamWidth - 1]) return;
    let i = boundCount < beamWidth ? boundCount++ : beamWidth - 1;
    for (; i > 0 && bounds[i - 1] < score; i--) bounds[i] = bounds[i - 1];
    bounds[i] = score;
  };
  const lmHeadroom = lm !== void 0 && lmWeight < 0 ? Infinity : 0;
  for (let t = 0; t < length; t++) {
    const offset = (t * B + b) * V;
    candidates.length = 0;
    boundCount = 0;
    let bestTotal = -Infinity;
    const blankLogProb = data[offset + blank];
    for (let i = 0; i < beam.length; i++) {
      const node = beam[i];
      const total = logAddExp(node.blank, node.nonBlank);
      totals[i] = total;
      if (total + node.bonus > bestTotal) bestTotal = total + node.bonus;
      node.stamp = t;
      node.nextBlank = total + blankLogProb;
      node.nextNonBlank = node.parent === null ? -Infinity : node.nonBlank + data[offset + node.token];
      node.nextFresh = false;
      candidates.push(node);
      addBound(logAddExp(node.nextBlank, node.nextNonBlank) + node.bonus);
    }
    let minLogProb = pruneLogProb;
    if (boundCount === beamWidth) {
      const floor = bounds[beamWidth - 1] - bestTotal - insertionBonus - lmHeadroom;
      minLogProb = Math.max(minLogProb, floor - 1e-6 * (1 + Math.abs(floor)));
    }
    const tokenCount = selectFrameTokens(data, offset, V, blank, minLogProb, cutoff, frameTokens, frameLogProbs);
    for (let i = 0; i < beam.length; i++) {
      const node = beam[i];
      const headroom = node.bonus + insertionBonus + lmHeadroom;
      for (let k = 0; k < tokenCount; k++) {
        const token = frameTokens[k];
        if (boundCount === beamWidth && totals[i] + frameLogProbs[k] + headroom < bounds[beamWidth - 1]) {
          if (selectTopTokens) break;
          continue;
        }
        const logProb = (token === node.token ? node.blank : totals[i]) + frameLogProbs[k];
        if (logProb === -Infinity) continue;
        const child = childOf(node, token);
        if (child.stamp === t) {
          child.nextNonBlank = logAddExp(child.nextNonBlank, logProb);
        } else {
          child.stamp = t;
          child.nextBlank = -Infinity;
          child.nextNonBlank = logProb;
          child.nextFresh = true;
          child.nextParentEmission = node.emission;
          candidates.push(child);
          addBound(logProb + child.bonus);
        }
      }
    }
    top.length = 0;
    for (const node of candidates) {
      const score = logAddExp(node.nextBlank, node.nextNonBlank) + node.bonus;
      node.score = Number.isNaN(score) ? -Infinity : score;
      if (top.length === beamWidth && !ranksBefore(node, top[beamWidth - 1])) continue;
      let i = top.length < beamWidth ? top.length : beamWidth - 1;
      if (top.length < beamWidth) top.push(node);
      for (; i > 0 && ranksBefore(node, top[i - 1]); i--) top[i] = top[i - 1];
      top[i] = node;
    }
    beam = [];
    for (const node of top) {
      if (node.score === -Infinity && beam.length > 0) break;
      node.blank = node.nextBlank;
      node.nonBlank = node.nextNonBlank;
      if (node.nextFresh) node.emission = new Emission(t, node.nextParentEmission);
      beam.push(node);
    }
  }
  const finals = beam.map((node) => {
    const acousticScore = logAddExp(node.blank, node.nonBlank);
    const endLogProb = lm === void 0 ? 0 : lm.finish(node.lmState);
    const score = acousticScore + node.bonus + weighted(endLogProb);
    node.score = Number.isNaN(score) ? -Infinity : score;
    return { node, acousticScore, lmScore: node.lmLogProb + endLogProb };
  });
  finals.sort((x, y) => ranksBefore(x.node, y.node) ? -1 : ranksBefore(y.node, x.node) ? 1 : 0);
  const hypotheses = [];
  for (const { node, acousticScore, lmScore } of finals) {
    if (hypotheses.length === nBest || node.score === -Infinity && hypotheses.length > 0) break;
    const frames = [];
    for (let e = node.emission; e !== null; e = e.previous) frames.push(e.frame);
    hypotheses.push({ tokens: node.tokens(), score: node.score, frames: frames.reverse(), acousticScore, lmScore });
  }
  return hypotheses;
}
async function ctcBeamSearch(logProbs, inputLengths, options = {}) {
  const { B, V, lengths, blank } = checkDecoderInput("ctcBeamSearch", logProbs, inputLengths, options.blank);
  const resolved = resolveOptions(options, blank);
  const data = await logProbs.data();
  const results = [];
  for (let b = 0; b < B; b++) results.push(searchItem(data, b, B, V, lengths[b], resolved));
  return results;
}

// packages/ctc/bench/_prof.ts
await tf.setBackend("cpu");
var lp = tf.tidy(() => tf.logSoftmax(tf.randomNormal([150, 16, 1296], 0, 1, "float32", 7)));
await ctcBeamSearch(lp);
var s = performance.now();
for (let i = 0; i < 30; i++) await ctcBeamSearch(lp);
console.log((performance.now() - s) / 480, "ms/utt");
