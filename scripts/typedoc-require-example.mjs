/**
 * TypeDoc plugin: every function and class a package exports must show an `@example` in its
 * doc comment.
 *
 * TypeDoc's own `validation.notDocumented` checks that a comment exists; this plugin checks
 * that the comment of each exported function (a variable holding one, such as an op made by
 * `tf.op`, included) and class holds an `@example` block (for a function, the comment of one of
 * its signatures). Types, interfaces and constants need none: an example there would only
 * restate the declaration. `scripts/check-examples.ts` type-checks the examples themselves.
 * Each export without one is reported as a validation warning, which `treatWarningsAsErrors`
 * in typedoc.json turns into a failed `pnpm docs`:
 *
 *   [warning] @slr/ctc: CtcReduction (TypeAlias) has no @example in its doc comment
 *
 * Re-exports under another name (TypeDoc's references) are not checked again: they point at a
 * checked declaration. In packages mode the check runs on each package as it is converted
 * (next to TypeDoc's notDocumented check) and not again on the merged site.
 */
import { Application, ReflectionKind } from 'typedoc';

const CHECKED_KINDS = ReflectionKind.Class | ReflectionKind.Function;

/** Whether `reflection` is a function or a class, or a variable whose value is a function. */
function needsExample(reflection) {
  if (reflection.kindOf(CHECKED_KINDS)) return true;
  return (
    reflection.kindOf(ReflectionKind.Variable) &&
    (reflection.type?.declaration?.signatures?.length ?? 0) > 0
  );
}

/**
 * Whether any of the reflection's comments (its own, its signatures', or those of the
 * signatures of its function type) has an `@example` block.
 *
 * @example
 * hasExample(project.getChildByName('ctcLoss')); // true
 */
export function hasExample(reflection) {
  const comments = [
    reflection.comment,
    ...(reflection.signatures ?? []).map((signature) => signature.comment),
    ...(reflection.type?.declaration?.signatures ?? []).map((signature) => signature.comment),
  ];
  return comments.some(
    (comment) => comment?.blockTags.some((tag) => tag.tag === '@example') === true,
  );
}

/**
 * The exports of a converted project (through its modules, when it has several entry points)
 * that have no `@example`, as `'Name (Kind)'` strings in declaration order.
 *
 * @example
 * exportsWithoutExample(project); // ['ctcGreedyDecode (Function)']
 */
export function exportsWithoutExample(project) {
  const missing = [];
  const visit = (container) => {
    for (const child of container.children ?? []) {
      if (child.kindOf(ReflectionKind.Module)) visit(child);
      else if (needsExample(child) && !hasExample(child)) {
        missing.push(`${child.getFriendlyFullName()} (${ReflectionKind[child.kind]})`);
      }
    }
  };
  visit(project);
  return missing;
}

/**
 * Registers the check with a TypeDoc application.
 *
 * @example
 * // typedoc.json
 * { "plugin": ["./scripts/typedoc-require-example.mjs"] }
 */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    // The merged project of a packages-mode run: each package was checked when it was converted.
    if (app.options.getValue('entryPointStrategy') === 'packages') return;
    const where = project.packageName ?? project.name;
    for (const name of exportsWithoutExample(project)) {
      app.logger.validationWarning(`${where}: ${name} has no @example in its doc comment`);
    }
  });
}
