import { mongo } from 'mongoose';
import { isDatabaseUnavailable } from './unavailable';

describe('isDatabaseUnavailable', () => {
  it('is true for what the driver throws when nothing listens', async () => {
    const client = new mongo.MongoClient('mongodb://127.0.0.1:1/x', { serverSelectionTimeoutMS: 300 });
    const e = await client
      .db()
      .collection('c')
      .insertOne({ a: 1 })
      .catch((err: unknown) => err);
    await client.close();
    expect(isDatabaseUnavailable(e)).toBe(true);
  });

  it('is false for a refused write and for ordinary errors', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('E11000 duplicate key'), { name: 'MongoServerError', code: 11000 }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
