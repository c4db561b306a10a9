package main

// FerretDB 1.24's SQLite backend looks documents up by _id with the SQL expression
// `_ferretdb_sjson->'$._id'` (metadata.IDColumn) but creates its unique _id index on
// `_ferretdb_sjson->"_id"`. SQLite matches index expressions by their text, so it never uses that
// index: every find, update or delete by _id scans the whole table (measured: updateOne by _id ran
// 11/s at 10k documents). The indexer below gives every collection table a second, equivalent index
// on the expression FerretDB queries with; then the plan is SEARCH … USING INDEX.
//
// Tables present at start are indexed before FerretDB opens them; a table created later is indexed
// by the proxy after the first write command that names its collection, while that command still
// holds the write lock (and before its reply reaches the client). The index is UNIQUE like FerretDB's
// own, which already rejects a duplicate _id, so no write that succeeded before fails now.
//
// FerretDB's pooled connections learn of the new index when they next run a statement (SQLite sees
// the schema changed and prepares it again), so real queries use it at once. EXPLAIN QUERY PLAN (the
// `explain` command) does not check the schema: on a connection that has run nothing since, it can
// still show the old SCAN.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

const (
	// FerretDB's table mapping collection names to table names in each database file
	// (internal/backends/sqlite/metadata/registry.go).
	metadataTable = "_ferretdb_collections"
	// The expression FerretDB's queries use for _id (metadata.IDColumn).
	idExpression = "_ferretdb_sjson->'$._id'"
	// Suffix of our index name; FerretDB names its own indexes <table>_<MongoDB index name>.
	indexSuffix = "_sladesk_id"
	sqliteExt   = ".sqlite"
)

// idIndexer creates the _id expression index. Its methods are not safe for concurrent use: the proxy
// calls them only while it holds writeLock.
type idIndexer struct {
	dir    string
	logger *slog.Logger
	done   map[string]map[string]bool // database -> collection -> indexed
}

func newIDIndexer(dir string, logger *slog.Logger) *idIndexer {
	return &idIndexer{dir: dir, logger: logger, done: map[string]map[string]bool{}}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// dbFile is the file of a database, or "" for a name FerretDB could not have used.
func (x *idIndexer) dbFile(dbName string) string {
	if dbName == "" || strings.ContainsAny(dbName, "/\\\x00") || dbName == "." || dbName == ".." {
		return ""
	}
	return filepath.Join(x.dir, dbName+sqliteExt)
}

// open connects to an existing database file (never creating one); busy_timeout makes a statement wait
// for FerretDB's own connections instead of failing with SQLITE_BUSY.
func open(file string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// indexTable creates the index on one collection table, if it is one.
func indexTable(ctx context.Context, db *sql.DB, table string) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 || strings.HasPrefix(table, "sqlite_") {
		return fmt.Errorf("no collection table %q", table)
	}
	q := fmt.Sprintf(`CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)`, quoteIdent(table+indexSuffix), quoteIdent(table), idExpression)
	_, err = db.ExecContext(ctx, q)
	return err
}

func (x *idIndexer) mark(dbName, coll string) {
	if x.done[dbName] == nil {
		x.done[dbName] = map[string]bool{}
	}
	x.done[dbName][coll] = true
}

// indexAll indexes every collection of every database in the data folder (at start, before FerretDB
// opens them).
func (x *idIndexer) indexAll() {
	files, err := filepath.Glob(filepath.Join(x.dir, "*"+sqliteExt))
	if err != nil {
		x.logger.Warn("listing databases", "error", err)
		return
	}
	for _, file := range files {
		dbName := strings.TrimSuffix(filepath.Base(file), sqliteExt)
		if err := x.indexDatabase(dbName, file); err != nil {
			x.logger.Warn("indexing _id", "db", dbName, "error", err)
		}
	}
}

func (x *idIndexer) indexDatabase(dbName, file string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := open(file)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT name, table_name FROM %s`, quoteIdent(metadataTable)))
	if err != nil {
		return err // not a FerretDB database
	}
	tables := map[string]string{}
	for rows.Next() {
		var coll, table string
		if err := rows.Scan(&coll, &table); err != nil {
			rows.Close()
			return err
		}
		tables[coll] = table
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for coll, table := range tables {
		started := time.Now()
		if err := indexTable(ctx, db, table); err != nil {
			x.logger.Warn("indexing _id", "db", dbName, "collection", coll, "error", err)
			continue
		}
		x.mark(dbName, coll)
		x.logger.Debug("_id indexed", "db", dbName, "collection", coll, "duration", time.Since(started))
	}
	return nil
}

// ensure indexes one collection unless that is known to be done. A collection that does not exist
// (yet) is not remembered, so a later write looks again.
func (x *idIndexer) ensure(dbName, coll string) {
	if coll == "" || x.done[dbName][coll] {
		return
	}
	file := x.dbFile(dbName)
	if file == "" {
		return
	}
	if _, err := os.Stat(file); err != nil {
		return // nothing was written to this database
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := open(file)
	if err != nil {
		x.logger.Warn("indexing _id", "db", dbName, "error", err)
		return
	}
	defer db.Close()
	var table string
	q := fmt.Sprintf(`SELECT table_name FROM %s WHERE name = ?`, quoteIdent(metadataTable))
	if err := db.QueryRowContext(ctx, q, coll).Scan(&table); err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			x.logger.Warn("indexing _id", "db", dbName, "collection", coll, "error", err)
		}
		return
	}
	if err := indexTable(ctx, db, table); err != nil {
		x.logger.Warn("indexing _id", "db", dbName, "collection", coll, "error", err)
		return
	}
	x.mark(dbName, coll)
	x.logger.Debug("_id indexed", "db", dbName, "collection", coll, "table", table)
}

// forget drops what is known about a collection ("" for the whole database).
func (x *idIndexer) forget(dbName, coll string) {
	if coll == "" {
		delete(x.done, dbName)
	} else {
		delete(x.done[dbName], coll)
	}
}

// forgetAll drops everything known (after a renameCollection: the table keeps its name, so a new
// collection under the old name gets another table).
func (x *idIndexer) forgetAll() { x.done = map[string]map[string]bool{} }
