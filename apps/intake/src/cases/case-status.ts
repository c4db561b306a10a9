import { AppError, CaseStatus } from '@sladesk/contracts';

/**
 * The case lifecycle: new → open → waiting_on_customer ↔ open → resolved → closed, and reopen
 * (resolved or closed → open). Resolving and reopening go through their own use cases.
 */
const NEXT: Record<CaseStatus, readonly CaseStatus[]> = {
  new: ['open', 'waiting_on_customer', 'resolved'],
  open: ['waiting_on_customer', 'resolved'],
  waiting_on_customer: ['open', 'resolved'],
  resolved: ['closed', 'open'],
  closed: ['open'],
};

export const canMove = (from: CaseStatus, to: CaseStatus): boolean => NEXT[from].includes(to);

export function assertMove(from: CaseStatus, to: CaseStatus): void {
  if (!canMove(from, to)) {
    throw new AppError('CASE.INVALID_TRANSITION', `A case cannot go from ${from} to ${to}`, {
      from,
      to,
      allowed: NEXT[from],
    });
  }
}
