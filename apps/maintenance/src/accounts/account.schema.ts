import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ _id: false })
export class ProjectedContact {
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) email!: string;
}

@Schema({ _id: false })
export class NoticeContact {
  @Prop({ required: true }) email!: string;
  @Prop() name?: string;
  @Prop() security?: boolean;
  @Prop() intercomUserId?: string;
  @Prop() receivesNotices?: boolean;
}

/**
 * One account as maintenance needs it, `_id` = account id. Two owners, two sets of fields: the
 * projection of intake's account events (`name`, `timeZone`, `contacts`, `version`: only a higher
 * version replaces them, so events may arrive in any order and twice), and maintenance's own notice
 * preferences (`subscriptions`, `noticeContacts`, `optedOut`), which the account contract does not carry.
 */
@Schema({ collection: 'maintenance_accounts', versionKey: false, minimize: false })
export class MaintenanceAccount {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() name?: string;
  @Prop() timeZone?: string;
  @Prop({ type: [ProjectedContact], default: undefined }) contacts?: ProjectedContact[];
  /** The account version last projected; absent until intake's first event arrives. */
  @Prop() version?: number;
  /** null or absent: subscribed to every component. */
  @Prop({ type: [String], default: undefined }) subscriptions?: string[] | null;
  @Prop({ type: [NoticeContact], default: undefined }) noticeContacts?: NoticeContact[];
  /** Addresses (lower case) that opted out of non-security notices through the signed link. */
  @Prop({ type: [String], default: undefined }) optedOut?: string[];
  @Prop() preferencesUpdatedAt?: Date;
}
export const MaintenanceAccountSchema = SchemaFactory.createForClass(MaintenanceAccount);

export interface Recipient {
  email: string;
  name: string;
  security: boolean;
  receivesNotices: boolean;
  intercomUserId?: string;
  source: 'account' | 'preferences';
}

/** The account's notification contacts: its contacts from intake, with the flags and additions of its preferences. */
export function recipientsOf(a: MaintenanceAccount): Recipient[] {
  const optedOut = new Set(a.optedOut ?? []);
  const byEmail = new Map<string, Recipient>();
  for (const c of a.contacts ?? []) {
    const email = c.email.toLowerCase();
    byEmail.set(email, { email, name: c.name, security: false, receivesNotices: true, source: 'account' });
  }
  for (const p of a.noticeContacts ?? []) {
    const email = p.email.toLowerCase();
    const base = byEmail.get(email);
    byEmail.set(email, {
      email,
      name: p.name ?? base?.name ?? email,
      security: p.security ?? base?.security ?? false,
      receivesNotices: p.receivesNotices ?? true,
      ...(p.intercomUserId ? { intercomUserId: p.intercomUserId } : {}),
      source: base?.source ?? 'preferences',
    });
  }
  for (const r of byEmail.values()) if (optedOut.has(r.email)) r.receivesNotices = false;
  return [...byEmail.values()];
}

/** Whether the account hears about something touching `components` (no list of subscriptions: everything). */
export const subscribedTo = (a: MaintenanceAccount, components: string[]): boolean =>
  !a.subscriptions || a.subscriptions.some((c) => components.includes(c));
