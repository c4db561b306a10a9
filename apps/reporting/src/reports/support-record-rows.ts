import { TimelineEntryPayload } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CaseState, INLINE_STEPS, INLINE_TEXT, isResolved, outcomeOf, StepSummary } from '../read-models/case-state';
import { EntityDoc } from '../read-models/entity-projection';
import { RmCaseEntry } from '../read-models/read-model.schemas';
import { pool } from './bucket-reader';
import { Column, Row } from './report-doc';

export type CaseDoc = EntityDoc<CaseState>;

/** The contract's record: (1) contact and when, (2) response, (3) description and analysis, (4) every step, (5) resolution. */
export const SUPPORT_RECORD_COLUMNS: Column[] = [
  { key: 'case_number', header: 'case_number', kind: 'int', width: 5 },
  { key: 'case_id', header: 'case_id', width: 12 },
  { key: 'account_id', header: 'account_id', width: 9 },
  { key: 'account_name', header: 'account_name', width: 12 },
  { key: 'received_at', header: 'received_at', kind: 'datetime', width: 12 },
  { key: 'contact_name', header: 'contact_name', width: 12 },
  { key: 'contact_email', header: 'contact_email', width: 16 },
  { key: 'channel', header: 'channel', width: 7 },
  { key: 'severity', header: 'severity', width: 7 },
  { key: 'category', header: 'category', width: 8 },
  { key: 'subject', header: 'subject', width: 20 },
  { key: 'first_response_at', header: 'first_response_at', kind: 'datetime', width: 12 },
  { key: 'first_response_by', header: 'first_response_by', width: 10 },
  { key: 'description', header: 'description', kind: 'long', width: 30 },
  { key: 'analysis', header: 'analysis', kind: 'long', width: 30 },
  { key: 'steps', header: 'steps', kind: 'long', width: 50 },
  { key: 'resolved_at', header: 'resolved_at', kind: 'datetime', width: 12 },
  { key: 'resolved_by', header: 'resolved_by', width: 10 },
  { key: 'resolution_summary', header: 'resolution_summary', kind: 'long', width: 30 },
  { key: 'status', header: 'status', width: 8 },
  { key: 'reopen_count', header: 'reopen_count', kind: 'int', width: 4 },
  { key: 'first_response_goal', header: 'first_response_goal', width: 7 },
  { key: 'resolution_goal', header: 'resolution_goal', width: 7 },
  { key: 'sla_breaches', header: 'sla_breaches', kind: 'long', width: 30 },
  { key: 'timeline_entries', header: 'timeline_entries', kind: 'int', width: 4 },
];

/** The columns of the support record table in the PDF (the steps follow each row). */
export const SUPPORT_RECORD_PDF_KEYS = ['case_number', 'account_name', 'received_at', 'contact_name', 'subject', 'first_response_at', 'resolved_at', 'status'];

export const stepLine = (s: StepSummary): string => `${s.at} ${s.kind.replace(/_/g, ' ')} (${s.actor}): ${s.text}`;

/**
 * One case of the support record as one row: what the export prints, and what the record packs keep
 * pre-rendered for the cases that are resolved (src/record-packs). Reads the case's entry documents
 * only when the case document holds part of its steps.
 */
@Injectable()
export class SupportRecordRows {
  constructor(@InjectModel(RmCaseEntry.name) private readonly entries: Model<RmCaseEntry>) {}

  /** Every entry of a case's timeline that arrived, in order, from its entry documents. */
  async timeline(c: CaseDoc): Promise<TimelineEntryPayload[]> {
    const found = await pool(c.seqs ?? [], 8, (seq) => this.entries.collection.findOne({ _id: `${c._id}:${seq}` as never }));
    return found
      .filter((e): e is NonNullable<typeof e> => !!e)
      .map(({ _id: _key, caseId: _case, ...e }) => e as unknown as TimelineEntryPayload)
      .sort((a, b) => a.seq - b.seq);
  }

  /** The case's steps: from the case document, completed from the entry documents when it holds only part of them. */
  async steps(c: CaseDoc): Promise<StepSummary[]> {
    const inline = c.steps ?? {};
    const partial = (c.seqs ?? []).some((s) => s > INLINE_STEPS || (inline[String(s)]?.text.length ?? 0) >= INLINE_TEXT);
    const all: (StepSummary & { seq: number })[] = partial
      ? (await this.timeline(c)).map((e) => ({ seq: e.seq, kind: e.kind, at: new Date(e.at).toISOString(), actor: e.actor.name, text: e.text }))
      : Object.entries(inline).map(([seq, s]) => ({ ...s, seq: Number(seq) }));
    return all.filter((s) => s.kind !== 'opened').sort((a, b) => a.seq - b.seq);
  }

  async row(c: CaseDoc, names: Map<string, string>): Promise<Row> {
    const steps = await this.steps(c);
    const resolved = isResolved(c);
    const breaches = Object.values(c.clocks ?? {})
      .filter((k) => k.breach)
      .map((k) => `${k.clock.replace(/_/g, ' ')}${k.cycle > 1 ? ` #${k.cycle}` : ''} due ${k.breach!.dueAt ?? k.breach!.at}: ${k.breach!.clause}`);
    return {
      case_number: c.number ?? null,
      case_id: c._id,
      account_id: c.accountId ?? null,
      account_name: c.accountId ? (names.get(c.accountId) ?? c.accountId) : null,
      received_at: c.receivedAt ?? null,
      contact_name: c.contact?.name ?? null,
      contact_email: c.contact?.email ?? null,
      channel: c.channel ?? null,
      severity: c.severity?.v ?? null,
      category: c.category?.v ?? null,
      subject: c.subject ?? null,
      first_response_at: c.firstResponse?.at ?? null,
      first_response_by: c.firstResponse?.by ?? null,
      description: c.description ?? null,
      analysis: c.analysis?.text ?? null,
      steps: steps.map(stepLine).join('\n'),
      resolved_at: resolved ? c.resolved!.at : null,
      resolved_by: resolved ? c.resolved!.by : null,
      resolution_summary: resolved ? (c.resolutionSummary?.text ?? null) : null,
      status: c.status?.v ?? (resolved ? 'resolved' : 'new'),
      reopen_count: c.reopenCount ?? 0,
      first_response_goal: outcomeOf(c.clocks?.['first_response:1']),
      resolution_goal: outcomeOf(c.clocks?.['resolution:1']),
      sla_breaches: breaches.join('\n'),
      timeline_entries: (c.seqs ?? []).length,
    };
  }
}
