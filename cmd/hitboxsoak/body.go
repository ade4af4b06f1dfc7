package main

// The origin's bodies: a header line naming the request path and carrying
// the payload's size and SHA-256, then the payload. A client verifies
// every 200 it gets against the header and the path it asked for, so a
// body cut short, altered, or served under another key is caught.

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// bodyMagic starts every body the origin writes.
const bodyMagic = "hitboxsoak"

// maxHeaderLine bounds the header line a client reads before giving up.
const maxHeaderLine = 4096

// makeBody returns the body the origin answers for path on its call-th
// call: the header line, then size bytes derived from (path, call).
func makeBody(path string, call uint64, size int) []byte {
	var seed [32]byte
	h := sha256.New()
	h.Write([]byte(path))
	h.Write(binary.BigEndian.AppendUint64(nil, call))
	h.Sum(seed[:0])
	payload := make([]byte, size)
	_, _ = rand.NewChaCha8(seed).Read(payload) // never fails
	sum := sha256.Sum256(payload)
	head := fmt.Sprintf("%s path=%s call=%d size=%d sha256=%s\n", bodyMagic, path, call, size, hex.EncodeToString(sum[:]))
	return append([]byte(head), payload...)
}

// CorruptError is a body that arrived whole (the connection did not fail)
// but is not the body the origin wrote for the path asked for: the one
// unforgivable error of a cache.
type CorruptError struct {
	// What says how the body differs.
	What string
}

func (e *CorruptError) Error() string { return "corrupt body: " + e.What }

func corrupt(format string, args ...any) error {
	return &CorruptError{What: fmt.Sprintf(format, args...)}
}

// verifyBody reads r to its end and checks it is a body the origin wrote
// for path. It returns the number of bytes read, and a *CorruptError when
// the body is whole but wrong, or the read error (a transport error) when
// the body could not be read to its end.
func verifyBody(path string, r io.Reader) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := br.ReadSlice('\n')
	n := int64(len(line))
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || (err == nil && len(line) > maxHeaderLine):
		return n, corrupt("no header line in the first %d bytes", len(line))
	case errors.Is(err, io.EOF):
		return n, corrupt("%d bytes without a header line", len(line))
	case err != nil:
		return n, err
	}
	got, size, want, perr := parseHeader(string(line[:len(line)-1]))
	if perr != nil {
		return n, perr
	}
	if got != path {
		return n, corrupt("body of %s served for %s", got, path)
	}
	h := sha256.New()
	m, err := io.Copy(h, br)
	n += m
	if err != nil {
		return n, err
	}
	if m != size {
		return n, corrupt("%s: payload of %d bytes, header says %d", path, m, size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want {
		return n, corrupt("%s: payload sha256 %s, header says %s", path, sum, want)
	}
	return n, nil
}

// parseHeader reads "hitboxsoak path=P call=C size=N sha256=H".
func parseHeader(line string) (path string, size int64, sum string, err error) {
	fields := strings.Fields(line)
	if len(fields) != 5 || fields[0] != bodyMagic {
		return "", 0, "", corrupt("bad header line %.80q", line)
	}
	vals := map[string]string{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", 0, "", corrupt("bad header field %.80q", f)
		}
		vals[k] = v
	}
	size, serr := strconv.ParseInt(vals["size"], 10, 64)
	if serr != nil || size < 0 {
		return "", 0, "", corrupt("bad size in header %.80q", line)
	}
	if _, cerr := strconv.ParseUint(vals["call"], 10, 64); cerr != nil {
		return "", 0, "", corrupt("bad call in header %.80q", line)
	}
	if len(vals["sha256"]) != 2*sha256.Size || vals["path"] == "" {
		return "", 0, "", corrupt("bad header line %.80q", line)
	}
	return vals["path"], size, vals["sha256"], nil
}
