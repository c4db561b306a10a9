import { CaseChainResult, Rpc, VerifyCasesPage, VerifyCasesPageQuery } from '@sladesk/contracts';
import { CROSS_ACCOUNT, decodeCursor, encodeCursor, Scope } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CaseRepository } from '../case.repository';
import { Case, TimelineEntry } from '../case.schema';
import { verifyChain } from '../timeline/timeline';
import { TimelineStore } from '../timeline/timeline.store';

/** Case ids are uuid v7. */
const CASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Recomputes the hash chains of a page of cases (GET /v1/audit/verify walks every page): each entry
 * against its hash and its predecessor, and the chain's end against the head the case document
 * recorded, so a removed last entry or a missing bucket is a break too.
 */
@Controller()
export class VerifyChainsMessageController {
  constructor(
    private readonly cases: CaseRepository,
    private readonly timeline: TimelineStore,
  ) {}

  @MessagePattern(Rpc.CaseVerifyPage)
  async page(@Payload() q: VerifyCasesPageQuery): Promise<VerifyCasesPage> {
    const limit = q.limit ?? 50;
    const account = q.scope?.accountId ?? q.accountId;
    const scope: Scope = account ? { accountId: account } : CROSS_ACCOUNT;
    const rows = await this.cases.pageForVerification(scope, q.cursor ? decodeCursor(q.cursor, CASE_ID) : undefined, limit + 1);
    const results: CaseChainResult[] = [];
    for (const c of rows.slice(0, limit)) results.push(await this.verify(c));
    return rows.length > limit ? { results, nextCursor: encodeCursor(rows[limit - 1]._id) } : { results };
  }

  private async verify(c: Case): Promise<CaseChainResult> {
    const base = { caseId: c._id, accountId: c.accountId, number: c.number };
    const entries: TimelineEntry[] = [];
    try {
      for await (const e of this.timeline.all(c)) entries.push(e);
    } catch (e) {
      return { ...base, intact: false, entries: entries.length, headHash: '', brokenAt: { seq: entries.length + 1, reason: (e as Error).message } };
    }
    const v = verifyChain(c._id, entries);
    if (v.intact && (entries.length !== c.seq || v.headHash !== c.headHash)) {
      return { ...base, intact: false, entries: entries.length, headHash: v.headHash, brokenAt: { seq: entries.length + 1, reason: `the case records ${c.seq} entries ending in ${c.headHash}; the chain has ${entries.length} ending in ${v.headHash} (entries removed)` } };
    }
    return { ...base, ...v };
  }
}
