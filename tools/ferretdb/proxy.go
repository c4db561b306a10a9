package main

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// writeLock lets one write command at a time reach FerretDB, which makes every single-document
// update atomic, as on MongoDB.
var writeLock sync.Mutex

// Commands that modify documents (the first key of an OP_MSG body names the command).
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
}

const (
	opMsg          = 2013
	flagMoreToCome = 1 << 1
	maxMessage     = 48_000_000
)

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func serveProxy(ctx context.Context, ln net.Listener, upstream string, logger *slog.Logger) {
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
		go proxyConn(client, upstream, logger)
	}
}

// proxyConn relays one client connection to its own upstream connection, request by response, as
// MongoDB drivers speak (a request, then its reply; a reply flagged moreToCome is followed by more).
func proxyConn(client net.Conn, upstream string, logger *slog.Logger) {
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
		write := isWrite(req)
		if write {
			writeLock.Lock()
		}
		err = relay(req, server, client)
		if write {
			writeLock.Unlock()
		}
		if err != nil {
			logger.Debug("relay", "error", err)
			return
		}
	}
}

func relay(req []byte, server, client net.Conn) error {
	if _, err := server.Write(req); err != nil {
		return err
	}
	if opCode(req) == opMsg && flags(req)&flagMoreToCome != 0 {
		return nil // the client expects no reply (unacknowledged write)
	}
	for {
		res, err := readMessage(server)
		if err != nil {
			return err
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

// isWrite reads the command name: OP_MSG = header, flagBits, then a kind-0 section holding the
// command document, whose first element's key is the command.
func isWrite(msg []byte) bool {
	if opCode(msg) != opMsg || len(msg) < 27 || msg[20] != 0 {
		return false
	}
	// msg[21:25] is the document length, msg[25] the first element's type, then its key (a C string).
	key := msg[26:]
	for i, b := range key {
		if b == 0 {
			return writeCommands[string(key[:i])]
		}
		if i > 64 {
			break
		}
	}
	return false
}
