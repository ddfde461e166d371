// packages/ctc/bench/_prof4.ts
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
function compareTokens(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
function doubled(array) {
  const next = new array.constructor(array.length * 2);
  next.set(array);
  return next;
}
var INITIAL_CAPACITY = 1024;
var ROOT = 0;
var PrefixTrie = class {
  constructor(vocabularySize) {
    this.vocabularySize = vocabularySize;
  }
  vocabularySize;
  size = 0;
  /** Last token; -1 for the root. */
  token = new Int32Array(INITIAL_CAPACITY);
  parent = new Int32Array(INITIAL_CAPACITY);
  /** Beam: ln P(prefix, paths ending in blank). */
  blank = new Float64Array(INITIAL_CAPACITY);
  /** Beam: ln P(prefix, paths ending in its last token). */
  nonBlank = new Float64Array(INITIAL_CAPACITY);
  /** Beam: emission record of the last token (see {@link addEmission}); -1 for the root. */
  emission = new Int32Array(INITIAL_CAPACITY);
  /** Unweighted ln P_LM of the tokens, end of sentence excluded. */
  lmLogProb = new Float64Array(INITIAL_CAPACITY);
  /** lmWeight · lmLogProb + insertionBonus · length. */
  bonus = new Float64Array(INITIAL_CAPACITY);
  /** Frame whose candidates the prefix is among; -1 when none yet. */
  stamp = new Int32Array(INITIAL_CAPACITY);
  nextBlank = new Float64Array(INITIAL_CAPACITY);
  nextNonBlank = new Float64Array(INITIAL_CAPACITY);
  /** 1 when the prefix enters the beam at this frame: its last token is emitted now. */
  nextFresh = new Uint8Array(INITIAL_CAPACITY);
  /** With `nextFresh`: the parent's emission record, which the new one links to. */
  nextParentEmission = new Int32Array(INITIAL_CAPACITY);
  /** Candidate score: acoustic + bonus, NaN stored as -Infinity. */
  score = new Float64Array(INITIAL_CAPACITY);
  lmState = [];
  /** Emission records, a forest of linked lists: frame of a token, and the previous token's record. */
  emissionFrame = [];
  emissionPrevious = [];
  /** Child row by `parent * vocabularySize + token`. */
  children = /* @__PURE__ */ new Map();
  /** Empties the trie down to a root with the given LM state. */
  reset(rootLmState) {
    this.size = 0;
    this.children.clear();
    this.lmState.length = 0;
    this.emissionFrame.length = 0;
    this.emissionPrevious.length = 0;
    this.add(-1, -1, rootLmState, 0, 0);
    this.blank[ROOT] = 0;
  }
  /** Row of `prefix` + `token`, or -1 when not made yet. */
  child(prefix, token) {
    return this.children.get(prefix * this.vocabularySize + token) ?? -1;
  }
  add(parent, token, lmState, lmLogProb, bonus) {
    if (this.size === this.token.length) this.grow();
    const row = this.size++;
    this.token[row] = token;
    this.parent[row] = parent;
    this.blank[row] = -Infinity;
    this.nonBlank[row] = -Infinity;
    this.emission[row] = -1;
    this.lmLogProb[row] = lmLogProb;
    this.bonus[row] = bonus;
    this.stamp[row] = -1;
    this.lmState[row] = lmState;
    if (parent >= 0) this.children.set(parent * this.vocabularySize + token, row);
    return row;
  }
  addEmission(frame, previous) {
    this.emissionFrame.push(frame);
    this.emissionPrevious.push(previous);
    return this.emissionFrame.length - 1;
  }
  tokens(row) {
    const tokens = [];
    for (let p = row; p !== ROOT; p = this.parent[p]) tokens.push(this.token[p]);
    return tokens.reverse();
  }
  frames(row) {
    const frames = [];
    for (let e = this.emission[row]; e >= 0; e = this.emissionPrevious[e]) frames.push(this.emissionFrame[e]);
    return frames.reverse();
  }
  /** Ranking rule: higher score first; equal scores → lexicographically smaller tokens first. */
  ranksBefore(a, b) {
    if (this.score[a] !== this.score[b]) return this.score[a] > this.score[b];
    return compareTokens(this.tokens(a), this.tokens(b)) < 0;
  }
  grow() {
    this.token = doubled(this.token);
    this.parent = doubled(this.parent);
    this.blank = doubled(this.blank);
    this.nonBlank = doubled(this.nonBlank);
    this.emission = doubled(this.emission);
    this.lmLogProb = doubled(this.lmLogProb);
    this.bonus = doubled(this.bonus);
    this.stamp = doubled(this.stamp);
    this.nextBlank = doubled(this.nextBlank);
    this.nextNonBlank = doubled(this.nextNonBlank);
    this.nextFresh = doubled(this.nextFresh);
    this.nextParentEmission = doubled(this.nextParentEmission);
    this.score = doubled(this.score);
  }
};
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
  const { lm: lm2 } = options;
  if (lm2 != null && (typeof lm2.initialState !== "function" || typeof lm2.score !== "function" || typeof lm2.finish !== "function")) {
    throw new Error(`${arg("lm")} must be a LanguageModel with initialState(), score() and finish(), but got ${String(lm2)}`);
  }
  return { blank, beamWidth, nBest, tokenCutoff, pruneLogProb, lm: lm2 ?? void 0, lmWeight, insertionBonus };
}
function searchItem(trie, data, b, B, V, length, options) {
  const { blank, beamWidth, nBest, tokenCutoff, pruneLogProb, lm: lm2, lmWeight, insertionBonus } = options;
  const weighted = (logProb) => lmWeight === 0 ? 0 : lmWeight * logProb;
  const childOf = (prefix, token) => {
    const child = trie.child(prefix, token);
    if (child >= 0) return child;
    let lmState = null;
    let lmLogProb = 0;
    if (lm2 !== void 0) {
      const scored = lm2.score(trie.lmState[prefix], token);
      lmState = scored.state;
      lmLogProb = scored.logProb;
    }
    const bonus = trie.bonus[prefix] + weighted(lmLogProb) + insertionBonus;
    return trie.add(prefix, token, lmState, trie.lmLogProb[prefix] + lmLogProb, bonus);
  };
  trie.reset(lm2?.initialState() ?? null);
  let beam = [ROOT];
  const totals = new Float64Array(beamWidth);
  const cutoff = Math.min(tokenCutoff, V - 1);
  const sortedTokens = cutoff < V - 1;
  const frameTokens = new Int32Array(sortedTokens ? 2 * cutoff : V);
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
  const belowBeam = (score) => boundCount === beamWidth && score < bounds[beamWidth - 1];
  const lmHeadroom = lm2 !== void 0 && lmWeight < 0 ? Infinity : 0;
  for (let t = 0; t < length; t++) {
    const offset = (t * B + b) * V;
    candidates.length = 0;
    boundCount = 0;
    let bestScore = -Infinity;
    const blankLogProb = data[offset + blank];
    for (let i = 0; i < beam.length; i++) {
      const p = beam[i];
      const total = logAddExp(trie.blank[p], trie.nonBlank[p]);
      totals[i] = total;
      bestScore = Math.max(bestScore, total + trie.bonus[p]);
      trie.stamp[p] = t;
      trie.nextBlank[p] = total + blankLogProb;
      trie.nextNonBlank[p] = p === ROOT ? -Infinity : trie.nonBlank[p] + data[offset + trie.token[p]];
      trie.nextFresh[p] = 0;
      candidates.push(p);
      addBound(logAddExp(trie.nextBlank[p], trie.nextNonBlank[p]) + trie.bonus[p]);
    }
    let minLogProb = pruneLogProb;
    if (boundCount === beamWidth) {
      const floor = bounds[beamWidth - 1] - bestScore - insertionBonus - lmHeadroom;
      minLogProb = Math.max(minLogProb, floor - 1e-6 * (1 + Math.abs(floor)));
    }
    const tokenCount = selectFrameTokens(data, offset, V, blank, minLogProb, cutoff, frameTokens, frameLogProbs);
    for (let i = 0; i < beam.length; i++) {
      const p = beam[i];
      const headroom = trie.bonus[p] + insertionBonus + lmHeadroom;
      for (let k = 0; k < tokenCount; k++) {
        if (belowBeam(totals[i] + frameLogProbs[k] + headroom)) {
          if (sortedTokens) break;
          continue;
        }
        const token = frameTokens[k];
        const logProb = (token === trie.token[p] ? trie.blank[p] : totals[i]) + frameLogProbs[k];
        if (logProb === -Infinity) continue;
        const child = childOf(p, token);
        if (trie.stamp[child] === t) {
          trie.nextNonBlank[child] = logAddExp(trie.nextNonBlank[child], logProb);
        } else if (!belowBeam(logProb + trie.bonus[child])) {
          trie.stamp[child] = t;
          trie.nextBlank[child] = -Infinity;
          trie.nextNonBlank[child] = logProb;
          trie.nextFresh[child] = 1;
          trie.nextParentEmission[child] = trie.emission[p];
          candidates.push(child);
          addBound(logProb + trie.bonus[child]);
        }
      }
    }
    top.length = 0;
    for (const p of candidates) {
      const score = logAddExp(trie.nextBlank[p], trie.nextNonBlank[p]) + trie.bonus[p];
      trie.score[p] = Number.isNaN(score) ? -Infinity : score;
      if (top.length === beamWidth && !trie.ranksBefore(p, top[beamWidth - 1])) continue;
      let i = top.length < beamWidth ? top.length : beamWidth - 1;
      if (top.length < beamWidth) top.push(p);
      for (; i > 0 && trie.ranksBefore(p, top[i - 1]); i--) top[i] = top[i - 1];
      top[i] = p;
    }
    beam = [];
    for (const p of top) {
      if (trie.score[p] === -Infinity && beam.length > 0) break;
      trie.blank[p] = trie.nextBlank[p];
      trie.nonBlank[p] = trie.nextNonBlank[p];
      if (trie.nextFresh[p] === 1) trie.emission[p] = trie.addEmission(t, trie.nextParentEmission[p]);
      beam.push(p);
    }
  }
  const finals = beam.map((p) => {
    const acousticScore = logAddExp(trie.blank[p], trie.nonBlank[p]);
    const endLogProb = lm2 === void 0 ? 0 : lm2.finish(trie.lmState[p]);
    const score = acousticScore + trie.bonus[p] + weighted(endLogProb);
    trie.score[p] = Number.isNaN(score) ? -Infinity : score;
    return { p, acousticScore, lmScore: trie.lmLogProb[p] + endLogProb };
  });
  finals.sort((x, y) => trie.ranksBefore(x.p, y.p) ? -1 : trie.ranksBefore(y.p, x.p) ? 1 : 0);
  const hypotheses = [];
  for (const { p, acousticScore, lmScore } of finals) {
    if (hypotheses.length === nBest || trie.score[p] === -Infinity && hypotheses.length > 0) break;
    hypotheses.push({ tokens: trie.tokens(p), score: trie.score[p], frames: trie.frames(p), acousticScore, lmScore });
  }
  return hypotheses;
}
async function ctcBeamSearch(logProbs, inputLengths, options = {}) {
  const { B, V, lengths, blank } = checkDecoderInput("ctcBeamSearch", logProbs, inputLengths, options.blank);
  const resolved = resolveOptions(options, blank);
  const data = await logProbs.data();
  const results = [];
  const trie = new PrefixTrie(V);
  for (let b = 0; b < B; b++) results.push(searchItem(trie, data, b, B, V, lengths[b], resolved));
  return results;
}

// packages/ctc/bench/_prof4.ts
await tf.setBackend("cpu");
var lp = tf.tidy(() => tf.logSoftmax(tf.randomNormal([150, 16, 1296], 0, 1, "float32", 7)));
var st = {};
var lm = { initialState: () => st, score: (s2, t) => ({ logProb: -1 - t % 7 * 0.5, state: st }), finish: () => 0 };
await ctcBeamSearch(lp, void 0, { lm });
var s = performance.now();
for (let i = 0; i < 3; i++) await ctcBeamSearch(lp, void 0, { lm });
console.log((performance.now() - s) / 48, "ms/utt");
