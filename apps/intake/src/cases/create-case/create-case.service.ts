import { AppError, CaseView, CreateCaseCommand, Events } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { CaseRepository } from '../case.repository';
import { Case, toCaseView } from '../case.schema';

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;

/** Records an inquiry as a case and announces it (`case.opened`) through the outbox. */
@Injectable()
export class CreateCaseService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async execute(cmd: CreateCaseCommand, now = new Date()): Promise<CaseView> {
    const { idempotencyKey, ...body } = cmd;
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('base64url');
    const id = uuidv7();
    const idempotencyScope = idempotencyKey ? `${cmd.accountId}:${idempotencyKey}` : id;

    if (idempotencyKey) {
      const earlier = await this.cases.findByIdempotencyScope({ accountId: cmd.accountId }, idempotencyScope);
      if (earlier) return this.replay(earlier, requestHash);
    }

    const receivedAt = cmd.receivedAt ? new Date(cmd.receivedAt) : now;
    const number = await this.cases.nextNumber();
    const severity = cmd.severity ?? 'normal';
    const category = cmd.category ?? 'other';
    const doc: Omit<Case, 'createdAt' | 'updatedAt'> = {
      _id: id,
      number,
      accountId: cmd.accountId,
      idempotencyScope,
      requestHash,
      contact: { name: cmd.contact.name, email: cmd.contact.email.toLowerCase() },
      channel: cmd.channel,
      subject: cmd.subject,
      description: cmd.description,
      severity,
      category,
      status: 'new',
      receivedAt,
      outbox: [
        outboxEvent(
          Events.CaseOpened,
          { caseId: id, number, accountId: cmd.accountId, channel: cmd.channel, severity, category, receivedAt: receivedAt.toISOString() },
          now,
        ),
      ],
    };
    try {
      const created = await this.cases.insert(doc);
      this.relay.kick();
      return toCaseView(created);
    } catch (e) {
      // A concurrent retry with the same key won the race: answer with its case.
      if (idempotencyKey && isDuplicateKey(e)) {
        const winner = await this.cases.findByIdempotencyScope(CROSS_ACCOUNT, idempotencyScope);
        if (winner) return this.replay(winner, requestHash);
      }
      throw e;
    }
  }

  private replay(earlier: Case, requestHash: string): CaseView {
    if (earlier.requestHash !== requestHash) {
      throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used for a different request');
    }
    return toCaseView(earlier);
  }
}
