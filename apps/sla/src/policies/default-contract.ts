import { defaultContractCalendarSpec, twentyFourSevenSpec } from '@sladesk/business-time';
import { CaseStatus, SlaGoalTable } from '@sladesk/contracts';

/** Ids of what is seeded at first start. */
export const DEFAULT_CALENDAR_ID = 'default-contract';
export const EMERGENCY_CALENDAR_ID = '24x7';
export const DEFAULT_POLICY_ID = 'default';
export const DEFAULT_PAUSE_STATUSES: CaseStatus[] = ['waiting_on_customer'];

/** Support hours Mon–Fri 08:00 America/New_York → 18:00 America/Los_Angeles, US federal holidays off. */
export const defaultCalendarSpec = () => defaultContractCalendarSpec();
/** Emergency availability after hours: always open. */
export const emergencyCalendarSpec = () => twentyFourSevenSpec('UTC');

/**
 * The contract's response goals (PRODUCT.md). Critical is timed 24×7; high and normal in business hours;
 * low "by 2 business hours after the start of the next business day". Resolution goals are ours: the
 * contract asks for them per severity without numbers.
 */
export const DEFAULT_GOALS: SlaGoalTable = {
  critical: {
    firstResponse: { duration: 'PT1H', from: 'received', hours: 'emergency' },
    nextResponse: { duration: 'PT2H', from: 'received', hours: 'emergency' },
    resolution: { duration: 'PT24H', from: 'received', hours: 'emergency' },
  },
  high: {
    firstResponse: { duration: 'PT4H', from: 'received', hours: 'business' },
    nextResponse: { duration: 'PT4H', from: 'received', hours: 'business' },
    resolution: { duration: 'PT26H', from: 'received', hours: 'business' },
  },
  normal: {
    firstResponse: { duration: 'PT8H', from: 'received', hours: 'business' },
    nextResponse: { duration: 'PT8H', from: 'received', hours: 'business' },
    resolution: { duration: 'PT65H', from: 'received', hours: 'business' },
  },
  low: {
    firstResponse: { duration: 'PT2H', from: 'next_business_day', hours: 'business' },
    nextResponse: { duration: 'PT2H', from: 'next_business_day', hours: 'business' },
    resolution: { duration: 'PT130H', from: 'received', hours: 'business' },
  },
};
