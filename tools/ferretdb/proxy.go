package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// writeLock lets one write command at a time reach FerretDB, which makes every single-document
// update atomic, as on MongoDB.
var writeLock sync.Mutex

type commandKind int

const (
	readCommand   commandKind = iota
	writeCommand              // writes to (and may create) the collection named by its value
	dropCommand               // drops the collection named by its value
	dropDBCommand             // dropDatabase
	renameCommand             // renameCollection
)

// Commands that run under writeLock (the first key of an OP_MSG body names the command). Those that
// change which collections exist take it too, so the _id indexer's cache follows them.
var lockedCommands = map[string]commandKind{
	"insert": writeCommand, "update": writeCommand, "delete": writeCommand,
	"findAndModify": writeCommand, "findandmodify": writeCommand,
	"create": writeCommand, "createIndexes": writeCommand,
	"drop": dropCommand, "dropDatabase": dropDBCommand, "renameCollection": renameCommand,
}

const (
	opMsg               = 2013
	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1
	maxMessage          = 48_000_000
)

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// serveProxy relays connections to FerretDB; ids, when not nil, indexes _id of the collections that
// write commands name.
func serveProxy(ctx context.Context, ln net.Listener, upstream string, logger *slog.Logger, ids *idIndexer) {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		client, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logger.Warn("accept failed", "error", err)
			continue
		}
		go proxyConn(client, upstream, logger, ids)
	}
}

// proxyConn relays one client connection to its own upstream connection, request by response, as
// MongoDB drivers speak (a request, then its reply; a reply flagged moreToCome is followed by more).
func proxyConn(client net.Conn, upstream string, logger *slog.Logger, ids *idIndexer) {
	defer client.Close()
	var server net.Conn
	var err error
	for i := 0; i < 50; i++ { // FerretDB may still be starting
		if server, err = net.Dial("tcp", upstream); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		logger.Warn("upstream unreachable", "error", err)
		return
	}
	defer server.Close()
	for {
		req, err := readMessage(client)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				logger.Debug("client read", "error", err)
			}
			return
		}
		kind := commandOf(req)
		if kind == readCommand {
			err = relay(req, server, client, nil)
		} else {
			writeLock.Lock()
			held := time.Now()
			stop := watchLockedCommand(server, req, logger)
			err = relay(req, server, client, func() { afterLocked(ids, kind, req) })
			stop()
			if stats != nil {
				stats.add(req, time.Since(held))
			}
			writeLock.Unlock()
		}
		if err != nil {
			logger.Debug("relay", "error", err)
			return
		}
	}
}

// Every other write in every database waits while one holds writeLock, so one that FerretDB does not
// answer (seen once: a database whose SQLite connection pool was used up) would stop every service.
// A write still unanswered after lockWarnAfter is logged with its namespace, again each interval;
// after lockGiveUpAfter its upstream connection is closed: that client gets a network error (drivers
// retry or report it) and the lock goes to the next write.
var (
	lockWarnAfter   = 10 * time.Second
	lockGiveUpAfter = 2 * time.Minute
)

func watchLockedCommand(server net.Conn, req []byte, logger *slog.Logger) (stop func()) {
	done := make(chan struct{})
	go func() {
		started := time.Now()
		tick := time.NewTicker(lockWarnAfter)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				coll, db := namespace(req)
				held := time.Since(started).Round(time.Second)
				if held >= lockGiveUpAfter {
					logger.Error("write unanswered, closing its connection and releasing the write lock", "db", db, "collection", coll, "held", held)
					server.Close()
					return
				}
				logger.Warn("write holds the write lock", "db", db, "collection", coll, "held", held)
			}
		}
	}()
	return func() { close(done) }
}

// writeStats counts, per database and collection, the writes that held writeLock and for how long
// (`-trace-writes`): what keeps every other write waiting. Nil when not tracing.
var stats *writeStats

type heldStat struct {
	n          int
	total, max time.Duration
}

type writeStats struct {
	mu   sync.Mutex
	by   map[string]*heldStat
	logf func(line string)
}

func startWriteStats(every time.Duration, logf func(line string)) {
	stats = &writeStats{by: map[string]*heldStat{}, logf: logf}
	go func() {
		for range time.Tick(every) {
			stats.flush(every)
		}
	}()
}

func (w *writeStats) add(req []byte, held time.Duration) {
	coll, db := namespace(req)
	key := db + "." + coll + " " + commandName(req)
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.by[key]
	if s == nil {
		s = &heldStat{}
		w.by[key] = s
	}
	s.n++
	s.total += held
	if held > s.max {
		s.max = held
	}
}

// flush logs one JSON line: {"<db>.<collection> <command>": "count/total ms/max ms", …}, busiest first.
func (w *writeStats) flush(every time.Duration) {
	w.mu.Lock()
	by := w.by
	w.by = map[string]*heldStat{}
	w.mu.Unlock()
	if len(by) == 0 {
		return
	}
	keys := make([]string, 0, len(by))
	var total time.Duration
	for k, s := range by {
		keys = append(keys, k)
		total += s.total
	}
	sort.Slice(keys, func(i, j int) bool { return by[keys[i]].total > by[keys[j]].total })
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		s := by[k]
		v, _ := json.Marshal(fmt.Sprintf("%d/%dms/%dms", s.n, s.total.Milliseconds(), s.max.Milliseconds()))
		kk, _ := json.Marshal(k)
		out = append(out, string(kk)+":"+string(v))
	}
	w.logf(fmt.Sprintf("%s sladesk-ferretdb writes in the last %s (count/held/longest), write lock held %d%% of the time: {%s}", time.Now().UTC().Format(time.RFC3339), every, 100*total/every, strings.Join(out, ",")))
}

// commandName is the first key of the OP_MSG body (insert, update, findAndModify …).
func commandName(msg []byte) string {
	doc := bsoncore.Document(body(msg))
	if first, err := doc.IndexErr(0); err == nil {
		return first.Key()
	}
	return ""
}

// afterLocked keeps the _id indexes up to date after a command that ran under writeLock.
func afterLocked(ids *idIndexer, kind commandKind, req []byte) {
	if ids == nil {
		return
	}
	name, db := namespace(req)
	switch kind {
	case writeCommand:
		ids.ensure(db, name)
	case dropCommand:
		ids.forget(db, name)
	case dropDBCommand:
		ids.forget(db, "")
	case renameCommand:
		ids.forgetAll()
	}
}

// relay sends a request and copies its reply back; beforeReply (if not nil) runs once FerretDB has
// answered and before the client sees the answer.
func relay(req []byte, server, client net.Conn, beforeReply func()) error {
	if _, err := server.Write(req); err != nil {
		return err
	}
	if opCode(req) == opMsg && flags(req)&flagMoreToCome != 0 {
		if beforeReply != nil {
			beforeReply() // FerretDB may not have run it yet; a later write looks again
		}
		return nil // the client expects no reply (unacknowledged write)
	}
	for {
		res, err := readMessage(server)
		if err != nil {
			return err
		}
		if beforeReply != nil {
			beforeReply()
			beforeReply = nil
		}
		if _, err := client.Write(res); err != nil {
			return err
		}
		if opCode(res) != opMsg || flags(res)&flagMoreToCome == 0 {
			return nil
		}
	}
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(header[:4]))
	if n < 16 || n > maxMessage {
		return nil, errors.New("bad message length")
	}
	msg := make([]byte, n)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[16:]); err != nil {
		return nil, err
	}
	return msg, nil
}

func opCode(msg []byte) int32 { return int32(binary.LittleEndian.Uint32(msg[12:16])) }

func flags(msg []byte) uint32 {
	if len(msg) < 20 {
		return 0
	}
	return binary.LittleEndian.Uint32(msg[16:20])
}

// body returns the command document of an OP_MSG: its kind-0 section (header, flagBits, then
// sections: kind 0 is one BSON document, kind 1 a size-prefixed document sequence).
func body(msg []byte) []byte {
	if opCode(msg) != opMsg || len(msg) < 21 {
		return nil
	}
	end := len(msg)
	if flags(msg)&flagChecksumPresent != 0 {
		end -= 4
	}
	for i := 20; i+5 <= end; {
		n := int(binary.LittleEndian.Uint32(msg[i+1 : i+5]))
		if n < 5 || i+1+n > end {
			return nil
		}
		if msg[i] == 0 {
			return msg[i+1 : i+1+n]
		}
		if msg[i] != 1 {
			return nil
		}
		i += 1 + n
	}
	return nil
}

// commandOf reads the command name, the first element's key of the body, without decoding it.
func commandOf(msg []byte) commandKind {
	doc := body(msg)
	if len(doc) < 6 {
		return readCommand
	}
	// doc[0:4] is the document length, doc[4] the first element's type, then its key (a C string).
	key := doc[5:]
	for i, b := range key {
		if b == 0 {
			return lockedCommands[string(key[:i])]
		}
		if i > 64 {
			break
		}
	}
	return readCommand
}

// namespace returns the command's value when it is a string (the collection, for the commands we
// lock) and its $db.
func namespace(msg []byte) (collection, db string) {
	doc := bsoncore.Document(body(msg))
	if len(doc) == 0 {
		return "", ""
	}
	if first, err := doc.IndexErr(0); err == nil {
		collection, _ = first.Value().StringValueOK()
	}
	db, _ = doc.Lookup("$db").StringValueOK()
	return collection, db
}
