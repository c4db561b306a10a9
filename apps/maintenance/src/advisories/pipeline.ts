import { AdvisoryStage, AppError, ErrorCode } from '@sladesk/contracts';

export type AdvisoryStep = 'test' | 'validate' | 'release' | 'announce';

/**
 * The pipeline's rule, as a table: which stages each step starts from, and the code of every refusal.
 * A patch is applied on the test version (`test`, repeatable with a new build), validated there, and
 * only then released; nothing moves after release.
 */
const RULES: Record<AdvisoryStep, { from: AdvisoryStage[]; refused: Partial<Record<AdvisoryStage, ErrorCode>> }> = {
  test: { from: ['draft', 'applied'], refused: { validated: 'ADVISORY.ALREADY_VALIDATED', released: 'ADVISORY.ALREADY_RELEASED' } },
  validate: { from: ['applied'], refused: { draft: 'ADVISORY.NOT_TESTED', validated: 'ADVISORY.ALREADY_VALIDATED', released: 'ADVISORY.ALREADY_RELEASED' } },
  release: { from: ['validated'], refused: { draft: 'ADVISORY.NOT_VALIDATED', applied: 'ADVISORY.NOT_VALIDATED', released: 'ADVISORY.ALREADY_RELEASED' } },
  announce: { from: ['draft', 'applied', 'validated'], refused: { released: 'ADVISORY.ALREADY_RELEASED' } },
};

const EXPLAIN: Partial<Record<ErrorCode, string>> = {
  'ADVISORY.NOT_TESTED': 'apply it on a test version first (POST /test)',
  'ADVISORY.NOT_VALIDATED': 'it must be applied on a test version and validated before release (POST /test, then /validate)',
  'ADVISORY.ALREADY_VALIDATED': 'it is validated already; release it',
  'ADVISORY.ALREADY_RELEASED': 'it is released; publish a new advisory for further changes',
};

export function assertStep(step: AdvisoryStep, stage: AdvisoryStage, id: string): void {
  const rule = RULES[step];
  if (rule.from.includes(stage)) return;
  const code = rule.refused[stage] ?? 'ADVISORY.NOT_VALIDATED';
  throw new AppError(code, `Cannot ${step} advisory ${id} at stage ${stage}: ${EXPLAIN[code] ?? ''}`.trim(), { stage, step, allowedFrom: rule.from });
}
