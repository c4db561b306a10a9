import { EscalationPolicyRequest, EscalationPolicyView } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CONTRACT_DEFAULTS, EffectivePolicy, EscalationPolicy } from './policy.schema';

const policyId = (accountId?: string) => (accountId ? `account:${accountId}` : 'default');

/** How long a policy read from the database serves this process (a change through another instance applies after it). */
const CACHE_MS = 5_000;

@Injectable()
export class PolicyService {
  /** Policy documents by `_id` (null: none), read at most every CACHE_MS: every case event needs them. */
  private readonly cache = new Map<string, { doc: EscalationPolicy | null; at: number }>();

  constructor(@InjectModel(EscalationPolicy.name) private readonly model: Model<EscalationPolicy>) {}

  private async stored(id: string): Promise<EscalationPolicy | null> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.doc;
    const at = Date.now();
    const doc = await this.model.findById(id).lean<EscalationPolicy>();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { doc, at });
    return doc;
  }

  /** Creates or replaces the default policy or an account's override. */
  async put(req: EscalationPolicyRequest): Promise<EscalationPolicyView> {
    const { accountId, ...rules } = req;
    this.cache.delete(policyId(accountId));
    const clean = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined));
    await this.model.updateOne(
      { _id: policyId(accountId) },
      { $set: { rules: clean, ...(accountId ? { accountId } : {}) }, $inc: { version: 1 } },
      { upsert: true },
    );
    this.cache.delete(policyId(accountId));
    return this.view(accountId);
  }

  /**
   * The rules in force for an account: contract defaults ← default policy ← account override. Read
   * through a cache of CACHE_MS: a policy changed through this instance applies at once, through another
   * within CACHE_MS.
   */
  async effective(accountId?: string): Promise<EffectivePolicy> {
    // By _id, one read each: FerretDB scans the collection for `$in`.
    const ids = accountId ? ['default', policyId(accountId)] : ['default'];
    const docs = await Promise.all(ids.map((id) => this.stored(id)));
    const byId = new Map(docs.filter((d) => d !== null).map((d) => [d._id, d.rules]));
    const merged = { ...CONTRACT_DEFAULTS, ...(byId.get('default') ?? {}), ...(accountId ? (byId.get(policyId(accountId)) ?? {}) : {}) };
    merged.ackTimeouts = { ...CONTRACT_DEFAULTS.ackTimeouts, ...(merged.ackTimeouts ?? {}) };
    return merged;
  }

  async view(accountId?: string): Promise<EscalationPolicyView> {
    const own = await this.model.findById(policyId(accountId)).lean<EscalationPolicy>();
    return {
      id: policyId(accountId),
      ...(accountId ? { accountId } : {}),
      ...(await this.effective(accountId)),
      version: own?.version ?? 0,
      updatedAt: (own?.updatedAt ?? new Date(0)).toISOString(),
    };
  }
}
