import { mongo } from 'mongoose';
import { insertIgnoringDuplicates, isDuplicate } from '../storage';

interface IndexDoc {
  _id: string;
  v?: string;
  n?: number;
}

/**
 * Which accounts and cases the sla service has seen, for recomputing open cases after a policy or calendar
 * change: append-only lists `a:<k>` (accounts) and `c:<accountId>:<k>` (cases of an account), addressed by
 * `_id` only (FerretDB would scan a collection for a query on `accountId`). A list may hold a value twice
 * after a retry; readers de-duplicate.
 */
export class CaseIndex {
  private readonly col: mongo.Collection<IndexDoc>;
  private readonly next = new Map<string, number>();
  private readonly knownAccounts = new Set<string>();

  constructor(db: mongo.Db) {
    this.col = db.collection<IndexDoc>('sla_case_index');
  }

  async addCase(accountId: string, caseId: string): Promise<void> {
    if (!this.knownAccounts.has(accountId)) {
      if (!(await this.col.findOne({ _id: `A:${accountId}` }))) {
        await this.append('a', accountId);
        await insertIgnoringDuplicates(this.col, [{ _id: `A:${accountId}` }]);
      }
      if (this.knownAccounts.size > 100_000) this.knownAccounts.clear();
      this.knownAccounts.add(accountId);
    }
    await this.append(`c:${accountId}`, caseId);
  }

  async *accounts(): AsyncGenerator<string> {
    yield* this.walk('a');
  }

  async *cases(accountId: string): AsyncGenerator<string> {
    yield* this.walk(`c:${accountId}`);
  }

  private async *walk(list: string): AsyncGenerator<string> {
    const seen = new Set<string>();
    for (let k = 0; ; k++) {
      const doc = await this.col.findOne({ _id: `${list}:${k}` });
      if (!doc) return;
      if (doc.v !== undefined && !seen.has(doc.v)) {
        seen.add(doc.v);
        yield doc.v;
      }
    }
  }

  private async append(list: string, value: string): Promise<void> {
    let k = this.next.get(list) ?? (await this.col.findOne({ _id: `n:${list}` }))?.n ?? 0;
    for (;;) {
      try {
        await this.col.insertOne({ _id: `${list}:${k}`, v: value });
        break;
      } catch (e) {
        if (!isDuplicate(e)) throw e;
        k += 1;
      }
    }
    this.next.set(list, k + 1);
    if (this.next.size > 100_000) this.next.clear();
    // A hint where the list ends, so a restarted instance does not probe from 0 (a lost update only costs probes).
    if (k % 50 === 0) await this.col.updateOne({ _id: `n:${list}` }, { $max: { n: k } }, { upsert: true }).catch(() => undefined);
  }
}
