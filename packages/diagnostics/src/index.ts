/**
 * `@slr/diagnostics`: diagnostics for CTC training in TensorFlow.js — log-probability
 * invariants that catch raw logits, gradient health, loss-trajectory and WER/loss analysis,
 * per-sample prediction alignments and advice for the common issues.
 *
 * @packageDocumentation
 */
export * from './log-probs';
export * from './gradient-health';
export * from './loss-trajectory';
export * from './correlation';
export * from './prediction';
export * from './advice';
export * from './report';
export * from './comparison-report';
