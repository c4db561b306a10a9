import { EscalationPolicyRequest, EscalationPolicyView } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CONTRACT_DEFAULTS, EffectivePolicy, EscalationPolicy } from './policy.schema';

const policyId = (accountId?: string) => (accountId ? `account:${accountId}` : 'default');

@Injectable()
export class PolicyService {
  constructor(@InjectModel(EscalationPolicy.name) private readonly model: Model<EscalationPolicy>) {}

  /** Creates or replaces the default policy or an account's override. */
  async put(req: EscalationPolicyRequest): Promise<EscalationPolicyView> {
    const { accountId, ...rules } = req;
    const clean = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined));
    await this.model.updateOne(
      { _id: policyId(accountId) },
      { $set: { rules: clean, ...(accountId ? { accountId } : {}) }, $inc: { version: 1 } },
      { upsert: true },
    );
    return this.view(accountId);
  }

  /** The rules in force for an account: contract defaults ← default policy ← account override. */
  async effective(accountId?: string): Promise<EffectivePolicy> {
    // By _id, one read each: FerretDB scans the collection for `$in`.
    const ids = accountId ? ['default', policyId(accountId)] : ['default'];
    const docs = await Promise.all(ids.map((id) => this.model.findById(id).lean<EscalationPolicy>()));
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
