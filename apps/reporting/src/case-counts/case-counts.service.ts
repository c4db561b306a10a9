import { CaseCounts, CaseCountsQuery, CaseOpenedPayload, CHANNELS, EventEnvelope, SEVERITIES } from '@sladesk/contracts';
import { applyOnce } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { CaseCountsDaily, SHARDS } from './case-counts.schema';

const shardOf = (eventId: string) => createHash('sha1').update(eventId).digest().readUInt16BE(0) % SHARDS;

@Injectable()
export class CaseCountsService {
  constructor(@InjectModel(CaseCountsDaily.name) private readonly model: Model<CaseCountsDaily>) {}

  /** Counts a case once, however often its event is delivered. */
  async onCaseOpened(event: EventEnvelope<CaseOpenedPayload>): Promise<boolean> {
    const p = event.payload;
    const day = p.receivedAt.slice(0, 10);
    return applyOnce(this.model, `${day}:${p.accountId}:${shardOf(event.eventId)}`, event.eventId, {
      $setOnInsert: { day, accountId: p.accountId },
      $inc: { opened: 1, [`bySeverity.${p.severity}`]: 1, [`byChannel.${p.channel}`]: 1 },
    });
  }

  async counts(q: CaseCountsQuery): Promise<CaseCounts> {
    const filter: Record<string, unknown> = { day: mongoose.trusted({ $gte: q.from, $lte: q.to }) };
    if (q.accountId) filter.accountId = q.accountId;
    const docs = await this.model.find(filter, { appliedEventIds: 0 }).lean<CaseCountsDaily[]>();
    const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
    const result: CaseCounts = {
      from: q.from,
      to: q.to,
      ...(q.accountId ? { accountId: q.accountId } : {}),
      opened: 0,
      bySeverity: zero(SEVERITIES),
      byChannel: zero(CHANNELS),
    };
    for (const d of docs) {
      result.opened += d.opened;
      for (const [k, v] of Object.entries(d.bySeverity ?? {})) result.bySeverity[k as keyof CaseCounts['bySeverity']] += v;
      for (const [k, v] of Object.entries(d.byChannel ?? {})) result.byChannel[k as keyof CaseCounts['byChannel']] += v;
    }
    return result;
  }
}
