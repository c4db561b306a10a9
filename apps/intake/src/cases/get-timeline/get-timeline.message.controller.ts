import { CaseTimeline, CaseTimelineQuery, Rpc } from '@sladesk/contracts';
import { decodeSeqCursor, encodeSeqCursor } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { scopeOf } from '../../common/scope';
import { CaseRepository, notFound } from '../case.repository';
import { TimelineEntry, toEntryView } from '../case.schema';
import { verifyChain } from '../timeline/timeline';
import { TimelineStore } from '../timeline/timeline.store';

/** A page stops at about this many bytes of entries, so it always fits one NATS message. */
const PAGE_BYTES = 512 * 1024;

@Controller()
export class GetTimelineMessageController {
  constructor(
    private readonly cases: CaseRepository,
    private readonly timeline: TimelineStore,
  ) {}

  /** The case's steps in order, a page at a time; with `verify`, whether the whole hash chain is intact and where it breaks. */
  @MessagePattern(Rpc.CaseTimeline)
  async page(@Payload() q: CaseTimelineQuery): Promise<CaseTimeline> {
    const from = q.cursor ? decodeSeqCursor(q.cursor) : 1;
    const found = await this.cases.findById(scopeOf(q.scope), q.id);
    if (!found) throw notFound(q.id);
    const page = await this.timeline.page(found, from, q.limit ?? 100, PAGE_BYTES);
    let verification;
    if (q.verify) {
      const all: TimelineEntry[] = [];
      for await (const e of this.timeline.all(found)) all.push(e);
      verification = verifyChain(found._id, all);
    }
    return {
      caseId: found._id,
      entries: page.entries.map(toEntryView),
      ...(page.next ? { nextCursor: encodeSeqCursor(page.next) } : {}),
      ...(verification ? { verification } : {}),
    };
  }
}
