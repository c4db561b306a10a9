import { API_ROLES, ApiKeyView, ApiRole } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * An API key, keyed by its id (the visible part of the key): authenticating a request is one `_id`
 * read, and usually not even that (each instance caches what it read). The secret itself is never
 * stored, only its HMAC with the server's pepper.
 */
@Schema({ collection: 'gateway_api_keys', versionKey: false })
export class ApiKey {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ type: [String], enum: API_ROLES, required: true }) roles!: ApiRole[];
  @Prop() accountId?: string;
  /** HMAC-SHA256(pepper, `<id>:<secret>`), hex. */
  @Prop({ required: true }) hash!: string;
  @Prop({ type: String, enum: ['api', 'environment'], required: true }) origin!: 'api' | 'environment';
  @Prop({ required: true }) createdAt!: Date;
  @Prop() createdBy?: string;
  @Prop() expiresAt?: Date;
  @Prop() revokedAt?: Date;
  @Prop() revokedBy?: string;
  @Prop() lastUsedAt?: Date;
}
export const ApiKeySchema = SchemaFactory.createForClass(ApiKey);

export function stateOf(k: ApiKey, now = new Date()): ApiKeyView['state'] {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && k.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

export function toApiKeyView(k: ApiKey, now = new Date()): ApiKeyView {
  return {
    id: k._id,
    name: k.name,
    roles: k.roles,
    ...(k.accountId ? { accountId: k.accountId } : {}),
    origin: k.origin,
    createdAt: k.createdAt.toISOString(),
    ...(k.createdBy ? { createdBy: k.createdBy } : {}),
    ...(k.expiresAt ? { expiresAt: k.expiresAt.toISOString() } : {}),
    ...(k.revokedAt ? { revokedAt: k.revokedAt.toISOString() } : {}),
    ...(k.revokedBy ? { revokedBy: k.revokedBy } : {}),
    ...(k.lastUsedAt ? { lastUsedAt: k.lastUsedAt.toISOString() } : {}),
    state: stateOf(k, now),
  };
}
