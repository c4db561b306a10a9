import { startTestNats, testMongoUrl } from '@sladesk/testing';
import { getStorageToken } from '@nestjs/throttler';
import mongoose from 'mongoose';
import { ApiKeys } from '../src/auth/api-keys.service';
import { MongoWindowStorage } from '../src/auth/rate-limit';
import { Gateway } from '../src/gateway';
import { caller, gatewayOn, json } from './security-kit';

/**
 * Per key and per source address, in fixed windows kept in MongoDB, so two gateway instances share
 * them. The window is a day long here, so the test never straddles two windows.
 */
describe('rate limits: per key and per source address, shared by every gateway instance', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let first: Gateway;
  let second: Gateway;
  let db: mongoose.Connection;
  const mongoUrl = testMongoUrl('security_rate');
  const settings = { SLADESK_RATE_LIMIT_PER_KEY: '5', SLADESK_RATE_LIMIT_PER_IP: '8', SLADESK_RATE_LIMIT_WINDOW_MS: String(86_400_000) };

  beforeAll(async () => {
    nats = await startTestNats();
    first = await gatewayOn({ NATS_URL: nats.url, MONGO_URL: mongoUrl }, settings);
    second = await gatewayOn({ NATS_URL: nats.url, MONGO_URL: mongoUrl }, settings);
    db = await mongoose.createConnection(mongoUrl).asPromise();
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
  });

  const adminKey = async () => (await first.app.get(ApiKeys).create({ name: 'limited', roles: ['admin'] }, 'test')).key;
  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('counts one key across both instances and answers 429 with Retry-After past the limit', async () => {
    const key = await adminKey();
    const [one, two] = [caller(first.url, key), caller(second.url, key)];
    const statuses = [];
    for (const call of [one, two, one, two, one]) statuses.push((await call('/v1/api-keys?limit=1', { headers: from('198.51.100.1') })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await two('/v1/api-keys?limit=1', { headers: from('198.51.100.2') });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(await json(limited)).toMatchObject({ code: 'RATE_LIMIT.EXCEEDED', details: { limit: 5, retryAfterSeconds: retryAfter } });
    expect((await one('/v1/api-keys?limit=1', { headers: from('198.51.100.3') })).status).toBe(429);
    // Another key is not affected.
    expect((await caller(first.url, await adminKey())('/v1/api-keys?limit=1', { headers: from('198.51.100.4') })).status).toBe(200);
  });

  it('counts one source address whatever the keys, and requests without a valid key too', async () => {
    const [k1, k2] = [await adminKey(), await adminKey()];
    const address = from('203.0.113.7');
    const statuses = [];
    for (const [url, key] of [[first.url, k1], [second.url, k2], [first.url, k1], [second.url, k2], [first.url, k1], [second.url, k2], [first.url, k1], [second.url, k2]]) {
      statuses.push((await caller(url, key)('/v1/api-keys?limit=1', { headers: address })).status);
    }
    expect(statuses).toEqual(Array(8).fill(200));
    expect((await caller(first.url, k1)('/v1/api-keys?limit=1', { headers: address })).status).toBe(429);
    expect((await caller(first.url, k1)('/v1/api-keys?limit=1', { headers: from('203.0.113.8') })).status).toBe(200);

    // Guessing keys from one address is limited as well: 401s, then 429.
    const guesses = [];
    for (let i = 0; i < 9; i++) guesses.push((await caller(second.url, `guess-${i}-aaaaaaaaaaaaaaaa`)('/v1/api-keys', { headers: from('203.0.113.9') })).status);
    expect(guesses).toEqual([...Array(8).fill(401), 429]);
  });

  it('keeps health and metrics out of the limits', async () => {
    const call = caller(first.url, 'nobody');
    for (let i = 0; i < 10; i++) expect((await call('/metrics', { headers: from('203.0.113.10') })).status).toBe(200);
  });

  it('sweeps windows that ended (FerretDB has no TTL indexes)', async () => {
    const windows = db.collection<{ _id: string; hits: number; expiresAt: Date }>('gateway_rate_limits');
    await windows.insertOne({ _id: 'ip|ip:192.0.2.1:0', hits: 3, expiresAt: new Date(1000) });
    expect(await windows.countDocuments()).toBeGreaterThan(1);
    const storage = first.app.get<MongoWindowStorage>(getStorageToken(), { strict: false });
    expect(await storage.sweep()).toBe(1);
    expect(await windows.findOne({ _id: 'ip|ip:192.0.2.1:0' })).toBeNull();
    expect(await windows.countDocuments()).toBeGreaterThan(0);
  });
});
