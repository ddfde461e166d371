/**
 * `@slr/diagnostics`: diagnostics for CTC training in TensorFlow.js — log-probability
 * invariants that catch raw logits, gradient health, loss-trajectory and WER/loss analysis,
 * per-sample prediction alignments, advice for the common issues, and HTML reports rendered to
 * strings. Browser-safe; writing the reports to files is in `@slr/diagnostics/node`.
 *
 * @module @slr/diagnostics
 */
export * from './log-probs';
export * from './gradient-health';
export * from './loss-trajectory';
export * from './correlation';
export * from './statistics';
export * from './prediction';
export * from './advice';
export * from './report';
export * from './comparison-report';
