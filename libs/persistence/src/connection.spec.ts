import { assertSafeDatabase, databaseNameOf } from './connection';

describe(assertSafeDatabase.name, () => {
  it('lets tests use a database whose name contains "test"', () => {
    expect(() => assertSafeDatabase('mongodb://127.0.0.1:27017/sladesk_test_1')).not.toThrow();
  });

  it.each(['mongodb://127.0.0.1:27017/sladesk', 'mongodb://127.0.0.1:27017', 'mongodb://h/prod?authSource=admin'])(
    'refuses %s under test',
    (url) => {
      expect(() => assertSafeDatabase(url)).toThrow(/must contain "test"/);
    },
  );

  it('reads the database name from the URL or the override', () => {
    expect(databaseNameOf('mongodb://a:1,b:2/db1?replicaSet=rs')).toBe('db1');
    expect(databaseNameOf('mongodb://a:1/db1', 'other')).toBe('other');
    expect(databaseNameOf('mongodb://a:1/')).toBeUndefined();
  });
});
