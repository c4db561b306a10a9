import { CaseRecord, GetCaseQuery, Rpc } from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { encodeSeqCursor } from '../../common/cursor';
import { CaseRepository, notFound } from '../case.repository';
import { toCaseView, toEntryView } from '../case.schema';
import { entryBytes } from '../timeline/timeline.store';

/** Bytes of latest timeline entries a record carries: with a description of up to 100,000 characters, it fits one NATS message. */
const RECORD_TIMELINE_BYTES = 384 * 1024;
const RECORD_TIMELINE_ENTRIES = 20;

@Controller()
export class GetCaseMessageController {
  constructor(private readonly cases: CaseRepository) {}

  // Staff API keys see every account for now; account-scoped keys come with the auth work.
  @MessagePattern(Rpc.CaseGet)
  async get(@Payload() q: GetCaseQuery): Promise<CaseRecord> {
    const found = await this.cases.findById(CROSS_ACCOUNT, q.id);
    if (!found) throw notFound(q.id);
    // The latest entries of the tail that fit the budget, oldest of them first.
    const latest = [];
    let bytes = 0;
    for (let i = found.timeline.length - 1; i >= 0 && latest.length < RECORD_TIMELINE_ENTRIES; i--) {
      bytes += entryBytes(found.timeline[i]);
      if (latest.length > 0 && bytes > RECORD_TIMELINE_BYTES) break;
      latest.unshift(found.timeline[i]);
    }
    const complete = latest.length === found.seq;
    return {
      ...toCaseView(found),
      timeline: latest.map(toEntryView),
      timelineTotal: found.seq,
      ...(complete ? {} : { timelineCursor: encodeSeqCursor(1) }),
    };
  }
}
