import { AppError, ApiKeyView, CreateApiKeyRequest, CreatedApiKeyView, Events, ListApiKeysQuery, makeEnvelope, Page, SecurityEvents } from '@sladesk/contracts';
import { currentContext, encodeJson, NatsBus } from '@sladesk/messaging';
import { decodeCursor, isDuplicateKey, pageOf } from '@sladesk/persistence';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Subscription } from '@nats-io/nats-core';
import mongoose, { Model } from 'mongoose';
import { GatewayEnv } from '../config';
import { ApiKey, stateOf, toApiKeyView } from './api-key.schema';
import { KeyHasher, newKey } from './api-key.secrets';
import { Authentication, Principal } from './principal';

/** Used when SLADESK_API_KEY_PEPPER is unset outside production (a warning says so at start). */
const DEVELOPMENT_PEPPER = 'sladesk-development-pepper-not-for-production';
const CACHE_MAX = 10_000;
const KEY_ID = /^(env-[0-9a-f]{16}|[a-z2-7]{16})$/;

type Cached = { key: ApiKey | null; readAt: number };

/**
 * API keys: created by an admin, shown once, stored as a keyed hash; expiry, revocation, last use.
 * Each gateway instance caches the keys it read for SLADESK_API_KEY_CACHE_MS; a revocation is written
 * to MongoDB, then announced on NATS, and every instance drops the key from its cache when the
 * announcement arrives (the cache time bounds an announcement an instance missed while disconnected).
 */
@Injectable()
export class ApiKeys implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeys');
  private readonly hasher: KeyHasher;
  private readonly cache = new Map<string, Cached>();
  /** Revocations heard of, so a read that raced with one cannot put the key back. */
  private readonly revoked = new Set<string>();
  private readonly lastUseWritten = new Map<string, number>();
  private subscription?: Subscription;

  constructor(
    @InjectModel(ApiKey.name) private readonly model: Model<ApiKey>,
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {
    if (!config.SLADESK_API_KEY_PEPPER) this.logger.warn('SLADESK_API_KEY_PEPPER is not set: API keys are hashed with a development pepper');
    this.hasher = new KeyHasher(config.SLADESK_API_KEY_PEPPER ?? DEVELOPMENT_PEPPER);
  }

  async onModuleInit(): Promise<void> {
    this.subscription = this.bus.nc.subscribe(SecurityEvents.ApiKeyRevoked, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const keyId = (msg.json<{ payload?: { keyId?: unknown } }>().payload ?? {}).keyId;
          if (typeof keyId === 'string') this.forget(keyId);
        } catch {
          // not JSON: not ours to act on
        }
      },
    });
    if (this.config.SLADESK_ADMIN_API_KEY) await this.seed(this.config.SLADESK_ADMIN_API_KEY);
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** SLADESK_ADMIN_API_KEY becomes an admin key (once: revoking it through the API is not undone by a restart). */
  private async seed(token: string): Promise<void> {
    const id = this.hasher.environmentKeyId(token);
    try {
      await this.model.updateOne(
        { _id: id },
        { $setOnInsert: { name: 'SLADESK_ADMIN_API_KEY', roles: ['admin'], hash: this.hasher.hash(id, token), origin: 'environment', createdAt: new Date() } },
        { upsert: true },
      );
    } catch (e) {
      if (!isDuplicateKey(e)) throw e; // another instance seeded it at the same moment
    }
  }

  // ---- authentication ---------------------------------------------------------------------

  async authenticate(token: string, now = new Date()): Promise<Authentication> {
    const parts = this.hasher.partsOf(token);
    const key = await this.load(parts.id);
    return this.judge(key, parts, now);
  }

  /**
   * Synchronous check for routes that only want to know whether a staff key came along (the calendar
   * feed): answers from what this instance has read, which the authentication guard has just done for
   * the request's own key.
   */
  accepts(token: string, now = new Date()): boolean {
    const parts = this.hasher.partsOf(token);
    const cached = this.cache.get(parts.id);
    const a = this.judge(cached?.key ?? null, parts, now);
    return a.outcome === 'ok' && !a.principal.accountId;
  }

  private judge(key: ApiKey | null, parts: { id: string; secret: string }, now: Date): Authentication {
    if (!key || !this.hasher.matches(parts.id, parts.secret, key.hash)) return { outcome: 'refused', code: 'AUTH.INVALID_KEY', message: 'API key not recognised' };
    // Only the holder of the secret learns that the key was revoked or expired.
    if (key.revokedAt || this.revoked.has(key._id)) return { outcome: 'refused', code: 'AUTH.KEY_REVOKED', message: `API key ${key._id} was revoked` };
    if (stateOf(key, now) === 'expired') return { outcome: 'refused', code: 'AUTH.KEY_EXPIRED', message: `API key ${key._id} expired` };
    this.touch(key, now);
    const principal: Principal = { id: `key:${key._id}`, kind: 'api-key', roles: key.roles, ...(key.accountId ? { accountId: key.accountId } : {}) };
    return { outcome: 'ok', principal };
  }

  private async load(id: string): Promise<ApiKey | null> {
    const cached = this.cache.get(id);
    if (cached && Date.now() - cached.readAt < this.config.SLADESK_API_KEY_CACHE_MS) return cached.key;
    const key = KEY_ID.test(id) ? await this.model.findById(id).lean<ApiKey>() : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(id, { key, readAt: Date.now() });
    return key;
  }

  private forget(id: string): void {
    this.revoked.add(id);
    this.cache.delete(id);
  }

  /** Last use, written at most once per SLADESK_API_KEY_LAST_USED_MS per instance and key. */
  private touch(key: ApiKey, now: Date): void {
    const last = this.lastUseWritten.get(key._id) ?? key.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last < this.config.SLADESK_API_KEY_LAST_USED_MS) return;
    this.lastUseWritten.set(key._id, now.getTime());
    this.model.updateOne({ _id: key._id }, { $set: { lastUsedAt: now } }).catch((e: Error) => this.logger.warn(`last use of key ${key._id} not written: ${e.message}`));
  }

  // ---- management -------------------------------------------------------------------------

  async create(body: CreateApiKeyRequest, createdBy: string | undefined, now = new Date()): Promise<CreatedApiKeyView> {
    const roles = [...body.roles];
    if (roles.includes('integration') && roles.length > 1) throw new AppError('API_KEY.INVALID', 'An integration key has the role integration alone');
    if (roles.includes('integration') && !body.accountId) throw new AppError('API_KEY.INVALID', 'An integration key needs the accountId it is confined to');
    if (!roles.includes('integration') && body.accountId) throw new AppError('API_KEY.INVALID', 'Only integration keys are confined to an account');
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : undefined;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw new AppError('API_KEY.INVALID', 'expiresAt must be in the future');
    const { id, key, secret } = newKey();
    const doc: ApiKey = {
      _id: id,
      name: body.name,
      roles,
      ...(body.accountId ? { accountId: body.accountId } : {}),
      hash: this.hasher.hash(id, secret),
      origin: 'api',
      createdAt: now,
      ...(createdBy ? { createdBy } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    };
    await this.model.create(doc);
    return { ...toApiKeyView(doc, now), key };
  }

  async list(q: ListApiKeysQuery, now = new Date()): Promise<Page<ApiKeyView>> {
    const limit = q.limit ?? 50;
    const filter = q.cursor ? { _id: mongoose.trusted({ $gt: decodeCursor(q.cursor, KEY_ID) }) } : {};
    // An admin list over a collection of a few hundred keys at most; filtered here, paged by id.
    const rows: ApiKey[] = [];
    let after = filter;
    for (;;) {
      const batch = await this.model.find(after).sort({ _id: 1 }).limit(200).lean<ApiKey[]>();
      rows.push(...batch.filter((k) => q.all === 'true' || stateOf(k, now) === 'active'));
      if (rows.length > limit || batch.length < 200) break;
      after = { _id: mongoose.trusted({ $gt: batch[batch.length - 1]._id }) };
    }
    return pageOf(rows, limit, (k) => toApiKeyView(k, now));
  }

  async get(id: string, now = new Date()): Promise<ApiKeyView> {
    const key = KEY_ID.test(id) ? await this.model.findById(id).lean<ApiKey>() : null;
    if (!key) throw new AppError('API_KEY.NOT_FOUND', `API key ${id} does not exist`);
    return toApiKeyView(key, now);
  }

  /**
   * Revokes a key (again: the same answer, announced again): written first, then announced, and
   * answered once the announcement left, so every instance refuses the key from that moment on.
   */
  async revoke(id: string, by: string | undefined, now = new Date()): Promise<ApiKeyView> {
    if (!KEY_ID.test(id)) throw new AppError('API_KEY.NOT_FOUND', `API key ${id} does not exist`);
    await this.model.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: now, ...(by ? { revokedBy: by } : {}) } });
    const key = await this.model.findById(id).lean<ApiKey>();
    if (!key) throw new AppError('API_KEY.NOT_FOUND', `API key ${id} does not exist`);
    this.forget(id);
    await this.announce(key._id, key.revokedAt ?? now, key.revokedBy);
    return toApiKeyView(key, now);
  }

  private async announce(keyId: string, revokedAt: Date, revokedBy: string | undefined): Promise<void> {
    const ctx = currentContext();
    const envelope = makeEnvelope(Events.ApiKeyRevoked, { keyId, revokedAt: revokedAt.toISOString(), ...(revokedBy ? { revokedBy } : {}) }, ctx ?? {});
    try {
      await this.bus.publish(envelope); // kept in the event stream, deduplicated by eventId
    } catch (e) {
      // No stream (no service ever started) or JetStream unavailable: every instance still hears a core publish.
      this.logger.warn(`revocation of ${keyId} not stored in JetStream (${(e as Error).message}); announced on core NATS`);
      this.bus.nc.publish(envelope.type, encodeJson(envelope));
      await this.bus.nc.flush();
    }
  }
}
