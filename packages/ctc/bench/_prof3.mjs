// packages/ctc/bench/_prof3.ts
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
  const [T, B, V2] = logProbs.shape;
  const resolvedBlank = blank ?? 0;
  if (!Number.isInteger(resolvedBlank) || resolvedBlank < 0 || resolvedBlank >= V2) {
    throw new Error(`${arg("options.blank")} must be an integer in [0, V = ${V2}), but got ${resolvedBlank}`);
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
  return { T, B, V: V2, lengths, blank: resolvedBlank };
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
function selectFrameTokens(data, offset, V2, blank, minLogProb, cutoff, tokens, logProbs) {
  let count = 0;
  if (cutoff >= V2 - 1) {
    for (let v = 0; v < V2; v++) {
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
  for (let v = 0; v < V2; v++) {
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
function searchItem(trie, data, b, B, V2, length, options) {
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
  const cutoff = Math.min(tokenCutoff, V2 - 1);
  const sortedTokens = cutoff < V2 - 1;
  const frameTokens = new Int32Array(sortedTokens ? 2 * cutoff : V2);
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
    const offset = (t * B + b) * V2;
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
    const tokenCount = selectFrameTokens(data, offset, V2, blank, minLogProb, cutoff, frameTokens, frameLogProbs);
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
  const { B, V: V2, lengths, blank } = checkDecoderInput("ctcBeamSearch", logProbs, inputLengths, options.blank);
  const resolved = resolveOptions(options, blank);
  const data = await logProbs.data();
  const results = [];
  const trie = new PrefixTrie(V2);
  for (let b = 0; b < B; b++) results.push(searchItem(trie, data, b, B, V2, lengths[b], resolved));
  return results;
}

// packages/ctc/src/lm/arpa.ts
var ArpaParseError = class extends Error {
  constructor(message, line) {
    super(`ARPA line ${line}: ${message}`);
    this.line = line;
    this.name = "ArpaParseError";
  }
  line;
};
var COUNT_LINE = /^ngram\s+(\d+)\s*=\s*(\d+)$/;
var SECTION_LINE = /^\\(\d+)-grams:$/;
function parseLog10(field, what, lineNumber) {
  const lower = field.toLowerCase();
  const value = lower === "-inf" || lower === "-infinity" ? -Infinity : Number(field);
  if (field === "" || Number.isNaN(value)) {
    throw new ArpaParseError(`expected a log10 ${what} (a number), but got '${field}'`, lineNumber);
  }
  return value;
}
function parseArpa(text2) {
  const lines = text2.split(/\r?\n/);
  let index = 0;
  const next = () => index < lines.length ? lines[index++].trim() : void 0;
  for (; ; ) {
    const line2 = next();
    if (line2 === void 0) throw new ArpaParseError("no \\data\\ header found", lines.length);
    if (line2 === "\\data\\") break;
  }
  const counts = [];
  const countLines = [];
  let line;
  for (; ; ) {
    line = next();
    if (line === void 0) throw new ArpaParseError("reached the end of the text before the \\1-grams: section", lines.length);
    if (line === "") continue;
    if (SECTION_LINE.test(line)) break;
    const match = COUNT_LINE.exec(line);
    if (match == null) {
      throw new ArpaParseError(`expected 'ngram N=count' or '\\1-grams:', but got '${line}'`, index);
    }
    const order2 = Number(match[1]);
    if (order2 !== counts.length + 1) {
      throw new ArpaParseError(`expected the count of order ${counts.length + 1}, but got 'ngram ${order2}=...'`, index);
    }
    counts.push(Number(match[2]));
    countLines.push(index);
  }
  if (counts.length === 0) throw new ArpaParseError("expected at least one 'ngram N=count' line before the first section", index);
  const order = counts.length;
  const ngrams = /* @__PURE__ */ new Map();
  const entryLines = /* @__PURE__ */ new Map();
  let section = 0;
  let sectionSize = 0;
  const closeSection = (lineNumber) => {
    if (sectionSize !== counts[section - 1]) {
      throw new ArpaParseError(
        `the \\${section}-grams: section has ${sectionSize} entries, but line ${countLines[section - 1]} declared 'ngram ${section}=${counts[section - 1]}'`,
        lineNumber
      );
    }
  };
  for (; ; ) {
    if (line === void 0) throw new ArpaParseError("reached the end of the text without \\end\\", lines.length);
    if (line === "\\end\\") {
      closeSection(index);
      if (section !== order) {
        throw new ArpaParseError(`\\end\\ after the \\${section}-grams: section, but the header declares order ${order}`, index);
      }
      break;
    }
    const header = SECTION_LINE.exec(line);
    if (header != null) {
      const n = Number(header[1]);
      if (section > 0) closeSection(index);
      if (n !== section + 1 || n > order) {
        const expected = section < order ? `\\${section + 1}-grams:` : "\\end\\";
        throw new ArpaParseError(`expected ${expected}, but got '${line}'`, index);
      }
      section = n;
      sectionSize = 0;
    } else if (line !== "") {
      const fields = line.split(/\s+/);
      const maxFields = section < order ? section + 2 : section + 1;
      if (fields.length < section + 1 || fields.length > maxFields) {
        const backoff = section < order ? " and an optional log10 back-off" : " (the highest order has no back-off)";
        throw new ArpaParseError(
          `a ${section}-gram entry must be a log10 probability, ${section} word(s)${backoff}, but got ${fields.length} field(s): '${line}'`,
          index
        );
      }
      const log10Prob = parseLog10(fields[0], "probability", index);
      if (log10Prob > 0) {
        throw new ArpaParseError(`a log10 probability must be <= 0, but got ${fields[0]}`, index);
      }
      const log10Backoff = fields.length === section + 2 ? parseLog10(fields[section + 1], "back-off", index) : 0;
      const key = fields.slice(1, section + 1).join(" ");
      const previous = entryLines.get(key);
      if (previous !== void 0) {
        throw new ArpaParseError(`duplicate ${section}-gram '${key}' (first on line ${previous})`, index);
      }
      ngrams.set(key, { log10Prob, log10Backoff });
      entryLines.set(key, index);
      sectionSize++;
    }
    line = next();
  }
  return { order, counts, ngrams };
}

// packages/ctc/src/lm/language-model.ts
var SENTENCE_START = "<s>";
var SENTENCE_END = "</s>";
var UNKNOWN = "<unk>";
var NGramTable = class {
  /** Word → word id. */
  wordIds = /* @__PURE__ */ new Map();
  /** Child sequence id, keyed by `sequence * wordCount + word`. */
  children = /* @__PURE__ */ new Map();
  /** Per sequence: its parent (its words but the last), -1 for the empty sequence. */
  parents = [-1];
  /** Per sequence: its last word id, -1 for the empty sequence. */
  lastWords = [-1];
  /** Per sequence: ln P(last word | the others); NaN when the sequence is not listed. */
  logProbs = [NaN];
  /** Per sequence: ln back-off weight; 0 when none is listed. */
  backoffs = [0];
  /** Per sequence: whether a history may usefully end with it (an n-gram below the top order, or the start of one). */
  usable = [true];
  constructor(model) {
    for (const key of model.ngrams.keys()) {
      for (const word of key.split(" ")) if (!this.wordIds.has(word)) this.wordIds.set(word, this.wordIds.size);
    }
    for (const [key, entry] of model.ngrams) {
      const words2 = key.split(" ");
      let sequence = 0;
      words2.forEach((word, i) => {
        sequence = this.childOrCreate(sequence, this.wordIds.get(word));
        if (i < model.order - 1) this.usable[sequence] = true;
      });
      this.logProbs[sequence] = entry.log10Prob * Math.LN10;
      this.backoffs[sequence] = entry.log10Backoff * Math.LN10;
    }
  }
  /** The id of `sequence` followed by `word`, or -1 when no n-gram starts with it. */
  child(sequence, word) {
    return this.children.get(sequence * this.wordIds.size + word) ?? -1;
  }
  /** The id of a word sequence, or -1 when no n-gram starts with it. */
  find(words2) {
    let sequence = 0;
    for (let i = 0; i < words2.length && sequence >= 0; i++) sequence = this.child(sequence, words2[i]);
    return sequence;
  }
  /** The word ids of a sequence. */
  words(sequence) {
    const words2 = [];
    for (let s2 = sequence; s2 > 0; s2 = this.parents[s2]) words2.push(this.lastWords[s2]);
    return words2.reverse();
  }
  childOrCreate(sequence, word) {
    const key = sequence * this.wordIds.size + word;
    let child = this.children.get(key);
    if (child === void 0) {
      child = this.parents.length;
      this.children.set(key, child);
      this.parents.push(sequence);
      this.lastWords.push(word);
      this.logProbs.push(NaN);
      this.backoffs.push(0);
      this.usable.push(false);
    }
    return child;
  }
};
var Context = class {
  context;
  /** Sequence id of each suffix of the context, longest first, ending with 0 (empty); -1 when absent. */
  suffixes = [];
  /** ln back-off weight of each suffix, aligned with `suffixes`. */
  suffixBackoffs = [];
  constructor(table, sequence, wordList) {
    const words2 = table.words(sequence);
    this.context = words2.map((word) => wordList[word]);
    for (let j = 0; j <= words2.length; j++) {
      const suffix = j === 0 ? sequence : table.find(words2.slice(j));
      this.suffixes.push(suffix);
      this.suffixBackoffs.push(suffix >= 0 ? table.backoffs[suffix] : 0);
    }
  }
};
var NGramLanguageModel = class _NGramLanguageModel {
  /** Highest n-gram order. */
  order;
  table;
  /** Word of each word id. */
  wordList;
  vocabulary;
  tokensByWord = /* @__PURE__ */ new Map();
  unknownLogProb;
  /** Interned states by sequence id. */
  contexts = /* @__PURE__ */ new Map();
  /** Word id of each token scored so far: -1 for a word the model lacks. */
  tokenWordIds = /* @__PURE__ */ new Map();
  unknownWordId;
  endWordId;
  start;
  /**
   * Builds the model from a parsed ARPA file; see {@link NGramLanguageModel.fromArpa}.
   *
   * @example
   * ```ts
   * const lm = new NGramLanguageModel(parseArpa(text), { vocabulary });
   * ```
   */
  constructor(model, options = {}) {
    this.order = model.order;
    this.table = new NGramTable(model);
    this.wordList = [...this.table.wordIds.keys()];
    this.unknownWordId = this.unigram(UNKNOWN);
    this.endWordId = this.unigram(SENTENCE_END);
    const { vocabulary, unknownLogProb } = options;
    const arg = (name) => `Option '${name}' passed to 'NGramLanguageModel'`;
    if (unknownLogProb !== void 0 && (typeof unknownLogProb !== "number" || !(unknownLogProb <= 0))) {
      throw new Error(`${arg("unknownLogProb")} must be a natural-log probability <= 0, but got ${unknownLogProb}`);
    }
    this.unknownLogProb = unknownLogProb;
    if (vocabulary !== void 0) {
      if (!Array.isArray(vocabulary)) {
        throw new Error(`${arg("vocabulary")} must be an array of words indexed by token id, but got ${String(vocabulary)}`);
      }
      vocabulary.forEach((word, token) => {
        if (word == null) return;
        if (typeof word !== "string" || word === "" || /\s/.test(word)) {
          throw new Error(`${arg("vocabulary")} must hold non-empty words without whitespace (or null), but got vocabulary[${token}] = ${JSON.stringify(word)}`);
        }
        const first = this.tokensByWord.get(word);
        if (first !== void 0) {
          throw new Error(`${arg("vocabulary")} must hold distinct words, but '${word}' is both token ${first} and token ${token}`);
        }
        if (!this.hasWord(word) && this.unknownWordId < 0 && unknownLogProb === void 0) {
          throw new Error(
            `${arg("vocabulary")} has the word '${word}' (token ${token}), which the language model lacks; the model has no ${UNKNOWN}, so pass options.unknownLogProb or remove the word`
          );
        }
        this.tokensByWord.set(word, token);
      });
    }
    this.vocabulary = vocabulary;
    const start = this.unigram(SENTENCE_START);
    this.start = this.context(start >= 0 && this.table.usable[start] ? start : 0);
  }
  /**
   * Parses ARPA text (see {@link parseArpa}) into a model; throws on malformed input, naming
   * the line.
   *
   * @example
   * ```ts
   * const lm = NGramLanguageModel.fromArpa(fs.readFileSync('glosses.arpa', 'utf8'), {
   *   vocabulary: [null, ...glosses],
   * });
   * ```
   */
  static fromArpa(text2, options) {
    return new _NGramLanguageModel(parseArpa(text2), options);
  }
  /**
   * The word of a token id, or `undefined` when the id is not a word (the blank, or past the
   * vocabulary).
   *
   * @example
   * ```ts
   * lm.wordOf(1); // 'HELLO'
   * ```
   */
  wordOf(token) {
    if (this.vocabulary === void 0) return Number.isInteger(token) && token >= 0 ? String(token) : void 0;
    return this.vocabulary[token] ?? void 0;
  }
  /**
   * The token id of a word, or `undefined` when no token maps to it.
   *
   * @example
   * ```ts
   * lm.tokenOf('HELLO'); // 1
   * ```
   */
  tokenOf(word) {
    if (this.vocabulary !== void 0) return this.tokensByWord.get(word);
    const token = Number(word);
    return Number.isInteger(token) && token >= 0 && String(token) === word ? token : void 0;
  }
  /**
   * Whether the model lists `word` as a unigram.
   *
   * @example
   * ```ts
   * lm.hasWord('<unk>'); // true for KenLM models
   * ```
   */
  hasWord(word) {
    return this.unigram(word) >= 0;
  }
  /**
   * The history at the start of a sentence: `<s>`.
   *
   * @example
   * ```ts
   * lm.initialState().context; // ['<s>']
   * ```
   */
  initialState() {
    return this.start;
  }
  /**
   * ln P(token | history) with back-off, and the history after it. Throws when the token has
   * no word in the vocabulary.
   *
   * @example
   * ```ts
   * const { logProb, state } = lm.score(lm.initialState(), 1); // ln P(HELLO | <s>)
   * ```
   */
  score(state, token) {
    let word = this.tokenWordIds.get(token);
    if (word === void 0) {
      const text2 = this.wordOf(token);
      if (text2 === void 0) {
        const size = this.vocabulary?.length;
        throw new Error(
          `NGramLanguageModel.score: token ${token} has no word in the vocabulary` + (size === void 0 ? "" : ` (length ${size})`)
        );
      }
      word = this.unigram(text2);
      if (word < 0 && this.unknownWordId < 0 && this.unknownLogProb === void 0) {
        throw new Error(
          `NGramLanguageModel.score: the word '${text2}' (token ${token}) is not in the language model, which has no ${UNKNOWN}; pass options.unknownLogProb`
        );
      }
      this.tokenWordIds.set(token, word);
    }
    const history = this.intern(state);
    if (word < 0) {
      if (this.unknownLogProb !== void 0) {
        const next = this.unknownWordId >= 0 ? this.next(history, this.unknownWordId) : this.context(0);
        return { logProb: this.unknownLogProb, state: next };
      }
      word = this.unknownWordId;
    }
    return { logProb: this.logProb(history, word), state: this.next(history, word) };
  }
  /**
   * ln P(`</s>` | history); 0 when the model does not list `</s>`.
   *
   * @example
   * ```ts
   * lm.finish(lm.score(lm.initialState(), 1).state); // ln P(</s> | <s> HELLO)
   * ```
   */
  finish(state) {
    return this.endWordId >= 0 ? this.logProb(this.intern(state), this.endWordId) : 0;
  }
  /**
   * ln P of a whole token sequence from `<s>`, including `</s>` unless `endOfSentence` is
   * false.
   *
   * @example
   * ```ts
   * lm.scoreTokens([1, 2]);                          // with </s>
   * lm.scoreTokens([1, 2], { endOfSentence: false }); // without
   * ```
   */
  scoreTokens(tokens, options = {}) {
    let state = this.initialState();
    let total = 0;
    for (const token of tokens) {
      const scored = this.score(state, token);
      total += scored.logProb;
      state = scored.state;
    }
    return options.endOfSentence === false ? total : total + this.finish(state);
  }
  /** ln P(word | history), backing off: ln P(w | h) = ln bow(h) + ln P(w | h minus its oldest word). */
  logProb(history, word) {
    const { suffixes, suffixBackoffs } = history;
    let backoff = 0;
    for (let j = 0; j < suffixes.length; j++) {
      const ngram = suffixes[j] >= 0 ? this.table.child(suffixes[j], word) : -1;
      if (ngram >= 0 && !Number.isNaN(this.table.logProbs[ngram])) return backoff + this.table.logProbs[ngram];
      backoff += suffixBackoffs[j];
    }
    return -Infinity;
  }
  /** The state after `word` follows `history`: the longest usable suffix of both, at most `order - 1` words. */
  next(history, word) {
    const { suffixes } = history;
    for (let j = Math.max(0, suffixes.length - (this.order - 1)); j < suffixes.length; j++) {
      const sequence = suffixes[j] >= 0 ? this.table.child(suffixes[j], word) : -1;
      if (sequence >= 0 && this.table.usable[sequence]) return this.context(sequence);
    }
    return this.context(0);
  }
  /** The word id of a unigram, or -1 when the model does not list it. */
  unigram(word) {
    const id = this.table.wordIds.get(word);
    if (id === void 0) return -1;
    const sequence = this.table.child(0, id);
    return sequence >= 0 && !Number.isNaN(this.table.logProbs[sequence]) ? id : -1;
  }
  /** The interned equivalent of a state (states made elsewhere are reduced to their usable suffix). */
  intern(state) {
    if (state instanceof Context) return state;
    const words2 = state.context.map((word) => this.table.wordIds.get(word) ?? -1);
    for (let j = Math.max(0, words2.length - (this.order - 1)); j < words2.length; j++) {
      const sequence = words2.slice(j).includes(-1) ? -1 : this.table.find(words2.slice(j));
      if (sequence >= 0 && this.table.usable[sequence]) return this.context(sequence);
    }
    return this.context(0);
  }
  /** The interned state of a usable sequence (0 for the empty history). */
  context(sequence) {
    let context = this.contexts.get(sequence);
    if (context === void 0) {
      context = new Context(this.table, sequence, this.wordList);
      this.contexts.set(sequence, context);
    }
    return context;
  }
};

// packages/ctc/bench/_prof3.ts
await tf.setBackend("cpu");
var V = 1296;
var st = 1;
var random = () => {
  st = st * 1664525 + 1013904223 >>> 0;
  return st / 2 ** 32;
};
var words = ["<unk>", "<s>", "</s>"];
for (let i = 1; i < V; i++) words.push(String(i));
var uni = words.map((w) => `${(-1 - 3 * random()).toFixed(4)}	${w}	${(-0.5 * random()).toFixed(4)}`);
var bi = /* @__PURE__ */ new Set();
for (const w of words) {
  if (w === "</s>" || w === "<unk>") continue;
  for (let k = 0; k < 20; k++) {
    const n = words[2 + Math.floor(random() * (words.length - 2))];
    if (n !== "<s>") bi.add(`${w} ${n}`);
  }
}
var bl = [...bi].map((k) => `${(-0.3 - 2 * random()).toFixed(4)}	${k}`);
var text = ["\\data\\", `ngram 1=${uni.length}`, `ngram 2=${bl.length}`, "", "\\1-grams:", ...uni, "", "\\2-grams:", ...bl, "", "\\end\\", ""].join("\n");
var lm = NGramLanguageModel.fromArpa(text);
var lp = tf.tidy(() => tf.logSoftmax(tf.randomNormal([150, 16, 1296], 0, 1, "float32", 7)));
await ctcBeamSearch(lp, void 0, { lm });
var calls = 0;
var orig = lm.score.bind(lm);
lm.score = (s2, t) => {
  calls++;
  return orig(s2, t);
};
var s = performance.now();
for (let i = 0; i < 3; i++) await ctcBeamSearch(lp, void 0, { lm });
console.log((performance.now() - s) / 48, "ms/utt", calls / 48, "lm calls/utt");
