import { isDuplicateKey } from './duplicate-key';

describe(isDuplicateKey.name, () => {
  it('is a refused single write with code 11000', () => {
    expect(isDuplicateKey({ code: 11000 })).toBe(true);
    expect(isDuplicateKey({ code: 121 })).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
    expect(isDuplicateKey(new Error('connection closed'))).toBe(false);
  });

  it('is a bulk write only when every write error is a duplicate, and there is one', () => {
    expect(isDuplicateKey({ code: 11000, writeErrors: [{ code: 11000 }, { code: 11000 }] })).toBe(true);
    expect(isDuplicateKey({ code: 11000, writeErrors: { code: 11000 } })).toBe(true);
    expect(isDuplicateKey({ code: 11000, writeErrors: [{ code: 11000 }, { code: 121 }] })).toBe(false);
    expect(isDuplicateKey({ writeErrors: [] })).toBe(false);
  });
});
