import { Injectable } from '@nestjs/common';
import { IntakeEnv } from '../../config';
import { OutgoingIntercomReply } from '../delivery/delivery.schema';
import { PermanentDeliveryError } from '../delivery/permanent-delivery.error';

/** Posts our responses into Intercom conversations (REST API, base URL configurable). */
@Injectable()
export class IntercomClient {
  constructor(private readonly config: IntakeEnv) {}

  async reply(reply: OutgoingIntercomReply): Promise<void> {
    const token = this.config.SLADESK_INTERCOM_ACCESS_TOKEN;
    if (!token) throw new PermanentDeliveryError('SLADESK_INTERCOM_ACCESS_TOKEN is not set');
    if (!reply.adminId)
      throw new PermanentDeliveryError(
        'no Intercom admin id for the sender (set intercomAdminId or SLADESK_INTERCOM_ADMIN_ID)',
      );
    const url = `${this.config.SLADESK_INTERCOM_API_URL.replace(/\/+$/, '')}/conversations/${encodeURIComponent(reply.conversationId)}/reply`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
        'intercom-version': '2.11',
      },
      body: JSON.stringify({
        message_type: 'comment',
        type: 'admin',
        admin_id: reply.adminId,
        body: reply.body,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) return;
    const detail = `Intercom answered ${res.status}: ${(await res.text().catch(() => '')).slice(0, 300)}`;
    // 4xx (but 408/429) will not get better by retrying.
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new PermanentDeliveryError(detail);
    throw new Error(detail);
  }
}
