import { mongo } from 'mongoose';
import { refsOf, SlaRegistry } from '../policies/sla-registry';
import { isDuplicate } from '../storage';
import { CaseHistory, LogEntry } from './clock-engine';

interface LogDoc {
  _id: string;
  e: LogEntry;
}

/**
 * The history of each case: documents `<caseId>:0`, `<caseId>:1`, … written with unique inserts, so two
 * instances appending at once both land (one at the next position) and nothing is overwritten. Reading
 * walks the ids from the last one known; histories are cached in memory (LRU).
 */
export class CaseLogStore {
  private readonly col: mongo.Collection<LogDoc>;
  private readonly cache = new Map<string, CaseHistory>();

  constructor(
    db: mongo.Db,
    private readonly registry: SlaRegistry,
    private readonly capacity: number,
  ) {
    this.col = db.collection<LogDoc>('sla_case_log');
  }

  /** Case histories held in memory (at most the capacity: about 7 KB each, measured). */
  get cached(): number {
    return this.cache.size;
  }

  /** The case's history with every fact stored so far. Call inside the case's mutex. */
  async load(caseId: string): Promise<CaseHistory> {
    let h = this.cache.get(caseId);
    if (h) this.cache.delete(caseId);
    else h = new CaseHistory(this.registry.lookup);
    this.cache.set(caseId, h);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    await this.catchUp(caseId, h);
    return h;
  }

  /** Appends a fact (unless it is already there); returns its 1-based position. */
  async append(caseId: string, h: CaseHistory, entry: LogEntry): Promise<number> {
    for (;;) {
      const existing = h.indexOf(entry.id);
      if (existing) return existing;
      try {
        await this.col.insertOne({ _id: `${caseId}:${h.length}`, e: entry });
      } catch (e) {
        if (!isDuplicate(e)) throw e;
        await this.catchUp(caseId, h);
        continue;
      }
      await this.registry.ensure(refsOf([entry.policy]));
      h.push(entry);
      return h.length;
    }
  }

  private async catchUp(caseId: string, h: CaseHistory): Promise<void> {
    const fresh: LogEntry[] = [];
    for (let k = h.length; ; k++) {
      const doc = await this.col.findOne({ _id: `${caseId}:${k}` });
      if (!doc) break;
      fresh.push(doc.e);
    }
    if (fresh.length === 0) return;
    await this.registry.ensure(refsOf(fresh.map((e) => e.policy)));
    for (const e of fresh) h.push(e);
  }
}
