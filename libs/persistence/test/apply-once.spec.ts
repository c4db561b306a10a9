import { applyOnce, openConnection } from '../src';
import { testMongoUrl } from '@sladesk/testing';
import { Connection, Model, Schema } from 'mongoose';

interface Counter {
  _id: string;
  n: number;
  appliedEventIds: string[];
}

describe(applyOnce.name, () => {
  let conn: Connection;
  let model: Model<Counter>;

  beforeAll(async () => {
    conn = await openConnection({ url: testMongoUrl('apply_once') });
    model = conn.model<Counter>('Counter', new Schema<Counter>({ _id: String, n: Number, appliedEventIds: [String] }));
  });

  afterAll(async () => {
    await conn.dropDatabase();
    await conn.close();
  });

  it('applies an event to a new document, and not again', async () => {
    expect(await applyOnce(model, 'a', 'e1', { $inc: { n: 1 } })).toBe(true);
    expect(await applyOnce(model, 'a', 'e1', { $inc: { n: 1 } })).toBe(false);
    expect(await applyOnce(model, 'a', 'e2', { $inc: { n: 5 } })).toBe(true);
    expect(await model.findById('a').lean()).toMatchObject({ n: 6, appliedEventIds: ['e1', 'e2'] });
  });

  it('applies each of many concurrent deliveries of one event exactly once', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => applyOnce(model, 'b', 'same', { $inc: { n: 1 } })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await model.findById('b').lean())!.n).toBe(1);
  });
});
