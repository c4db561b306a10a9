import { AppError } from '@sladesk/contracts';

/**
 * A `receivedAt` given through the API may run ahead of our clock by `skewMs` (the client's clock),
 * no more: an inquiry from 2099 would be timed, reported and escalated against a date that has not
 * come. Refused with 400 CASE.RECEIVED_IN_FUTURE.
 */
export function assertNotInFuture(receivedAt: Date, now: Date, skewMs: number): void {
  const latest = new Date(now.getTime() + skewMs);
  if (receivedAt.getTime() > latest.getTime()) {
    throw new AppError('CASE.RECEIVED_IN_FUTURE', `receivedAt ${receivedAt.toISOString()} is in the future (at most ${skewMs / 1000} s ahead of ${now.toISOString()} is accepted)`, {
      receivedAt: receivedAt.toISOString(),
      latestAccepted: latest.toISOString(),
    });
  }
}

/** What is recorded: nobody asked after we received it, so a time ahead of our clock is our clock. */
export const notAfter = (at: Date, now: Date): Date => (at.getTime() > now.getTime() ? now : at);
