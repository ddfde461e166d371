import { setupBackend } from '@slr/backend';
import { runJob } from './src/experiment';
import { EXPERIMENTS, type ExperimentConfig } from './src/recipes';
const o = JSON.parse(process.argv[2]);
await setupBackend('cpu', { quiet: true });
const base = EXPERIMENTS.small;
const config: ExperimentConfig = { ...base, corpus: { ...base.corpus, ...o.corpus }, video: { ...base.video, ...o.video }, teacher: { ...base.teacher, ...o.teacher }, teacherBudget: { ...base.teacherBudget, ...o.budget }, student: { ...base.student, ...o.student }, studentBudget: { ...base.studentBudget, ...o.sbudget } };
const r = await runJob(config, { kind: o.kind ?? 'teacher', seed: 1 }, `/tmp/probe-${process.pid}`, (l) => console.log(`[${o.tag}] ${l}`));
