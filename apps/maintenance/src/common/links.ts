import { AppError } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MaintenanceEnv } from '../config';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/**
 * Signed links customers follow without an API key: opting a contact out of non-security notices,
 * and subscribing to an account's maintenance calendar. HMAC-SHA256 with SLADESK_NOTICE_LINK_SECRET.
 */
@Injectable()
export class SignedLinks {
  private readonly base: string;

  constructor(private readonly config: MaintenanceEnv) {
    this.base = config.SLADESK_PUBLIC_URL.replace(/\/+$/, '');
  }

  private sign(purpose: string, payload: string): string {
    return b64(createHmac('sha256', this.config.SLADESK_NOTICE_LINK_SECRET).update(`${purpose}\n${payload}`).digest());
  }

  private verify(purpose: string, payload: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(purpose, payload));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  optOutToken(accountId: string, email: string): string {
    const payload = b64(`${accountId}\n${email.toLowerCase()}`);
    return `${payload}.${this.sign('opt-out', payload)}`;
  }

  optOutUrl(accountId: string, email: string): string {
    return `${this.base}/v1/notice-opt-out?token=${this.optOutToken(accountId, email)}`;
  }

  /** The account and address an opt-out token names; NOTICE.BAD_LINK when it was not signed by us. */
  readOptOut(token: string): { accountId: string; email: string } {
    const [payload, signature] = token.split('.');
    if (!payload || !signature || !this.verify('opt-out', payload, signature)) throw new AppError('NOTICE.BAD_LINK', 'This link is not valid (it may have been altered)');
    const [accountId, email] = Buffer.from(payload, 'base64url').toString().split('\n');
    if (!accountId || !email) throw new AppError('NOTICE.BAD_LINK', 'This link is not valid');
    return { accountId, email };
  }

  calendarToken(accountId: string): string {
    return this.sign('calendar', accountId);
  }

  calendarUrl(accountId: string): string {
    return `${this.base}/v1/maintenance-windows.ics?accountId=${encodeURIComponent(accountId)}&token=${this.calendarToken(accountId)}`;
  }

  checkCalendar(accountId: string, token: string | undefined): void {
    if (!token || !this.verify('calendar', accountId, token)) throw new AppError('NOTICE.BAD_LINK', 'The calendar link is not valid for this account');
  }
}
