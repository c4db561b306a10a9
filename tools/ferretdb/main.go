// Command sladesk-ferretdb runs FerretDB, a MongoDB-compatible server, for local development and tests.
//
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb` builds a binary that panics at start because the
// module does not ship its version file, so we embed FerretDB through its public package instead.
//
// FerretDB 1.x applies an update as read-modify-write without isolation: two concurrent updates of one
// document can lose one of them (measured: 300 concurrent $inc on one document left 19). MongoDB
// guarantees single-document atomicity and SLA Desk relies on it, so this launcher puts FerretDB behind
// a small wire-protocol proxy that lets one write command run at a time (reads stay concurrent).
// See proxy.go.
//
// FerretDB's SQLite backend never uses its _id index (see idindex.go), so this launcher adds one that
// it does use, on every collection table. The build (ensureFerretdbBinary in libs/testing/src/infra.ts)
// also patches FerretDB's source, so that a filter with _id and other fields still searches by _id
// (FERRETDB_PATCHES there); built with a plain `go build`, the launcher works without that patch.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteDir := flag.String("sqlite-dir", ".data/ferretdb", "data folder for the sqlite backend")
	pgURL := flag.String("postgresql-url", "postgres://127.0.0.1:5432/ferretdb", "PostgreSQL URL for the postgresql backend")
	sqliteSync := flag.String("sqlite-synchronous", "", "SQLite synchronous pragma, full or normal (default: not set, FerretDB's default, which is SQLite's FULL)")
	idIndex := flag.Bool("sqlite-id-index", true, "index _id with the expression FerretDB queries by (false only to reproduce or measure FerretDB's own behaviour)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	traceWrites := flag.Duration("trace-writes", 0, "every this long, log how many writes held the write lock and for how long, per collection (0: off)")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "sladesk-ferretdb: bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	inner, err := freeLoopbackAddr()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sladesk-ferretdb: %v\n", err)
		os.Exit(1)
	}
	// FerretDB logs every error reply (e.g. each driver's endSessions, which it does not know) with
	// the whole message at WARN: at the default level only its errors are kept, ours stay at warn.
	ferretLevel := level
	if ferretLevel >= slog.LevelWarn {
		ferretLevel = slog.LevelError
	}
	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: inner},
		Logger:   slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: ferretLevel})),
		Handler:  *handler,
	}
	var ids *idIndexer
	switch *handler {
	case "sqlite":
		dir, err := filepath.Abs(*sqliteDir)
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "sladesk-ferretdb: data folder: %v\n", err)
			os.Exit(1)
		}
		cfg.SQLiteURL = "file:" + dir + "/"
		switch *sqliteSync {
		case "":
		case "full", "normal":
			// FerretDB adds its defaults (busy_timeout, journal_mode(wal), auto_vacuum) to these.
			cfg.SQLiteURL += "?_pragma=synchronous(" + *sqliteSync + ")"
		default:
			fmt.Fprintf(os.Stderr, "sladesk-ferretdb: unknown -sqlite-synchronous %q (full or normal)\n", *sqliteSync)
			os.Exit(2)
		}
		if *idIndex {
			ids = newIDIndexer(dir, logger)
			ids.indexAll() // before FerretDB opens the files
		}
	case "postgresql":
		cfg.PostgreSQLURL = *pgURL
	default:
		fmt.Fprintf(os.Stderr, "sladesk-ferretdb: unknown -handler %q (sqlite or postgresql)\n", *handler)
		os.Exit(2)
	}

	f, err := ferretdb.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sladesk-ferretdb: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sladesk-ferretdb: %v\n", err)
		os.Exit(1)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	if *traceWrites > 0 {
		startWriteStats(*traceWrites, func(line string) { fmt.Fprintln(os.Stderr, line) })
	}
	go serveProxy(ctx, ln, inner, logger, ids)
	fmt.Fprintf(os.Stderr, "sladesk-ferretdb listening on %s (%s backend, writes serialized)\n", *listen, *handler)
	if err := <-done; err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "sladesk-ferretdb: %v\n", err)
		os.Exit(1)
	}
}
