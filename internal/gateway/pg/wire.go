package pg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Protocol codes of the untyped startup packets.
const (
	protocol30  = 196608
	sslRequest  = 80877103
	gssRequest  = 80877104
	cancelCode  = 80877102
	maxStartup  = 10000
	maxTextBody = 64 << 20 // Query and Parse bodies are read whole to classify; COPY data streams
)

var errTooLarge = errors.New("message too large")

// readStartup reads one untyped startup-phase packet: its code and the rest.
func readStartup(r *msgReader) (code uint32, body []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 8 || n > maxStartup {
		return 0, nil, fmt.Errorf("startup packet of %d bytes", n)
	}
	body = make([]byte, n-8)
	_, err = io.ReadFull(r, body)
	return binary.BigEndian.Uint32(hdr[4:]), body, err
}

// readHeader reads a typed message's type and body length.
func readHeader(r *msgReader) (typ byte, n int, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, err
	}
	l := int(binary.BigEndian.Uint32(hdr[1:]))
	if l < 4 {
		return 0, 0, fmt.Errorf("message %q with length %d", hdr[0], l)
	}
	return hdr[0], l - 4, nil
}

// readBody reads a body of n bytes whole, refusing more than limit.
func readBody(r *msgReader, n, limit int) ([]byte, error) {
	if n > limit {
		return nil, errTooLarge
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

// writeRaw writes a typed message as read.
func writeRaw(w *msgWriter, typ byte, body []byte) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(body)+4))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

// copyRaw passes a typed message through without holding it in memory,
// from one buffer to the other.
func copyRaw(w *msgWriter, r *msgReader, typ byte, n int) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(n+4))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	w.partial = true
	for n > 0 {
		chunk := min(n, max(r.Buffered(), 1), r.Size())
		b, err := r.Peek(chunk)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		r.Discard(chunk)
		n -= chunk
	}
	w.partial = false
	return nil
}

type encoder interface {
	Encode(dst []byte) ([]byte, error)
}

// send encodes messages onto w.
func send(w *msgWriter, msgs ...encoder) error {
	var buf []byte
	for _, m := range msgs {
		var err error
		if buf, err = m.Encode(buf[:0]); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// cstring splits a NUL-terminated string off b.
func cstring(b []byte) (string, []byte, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", nil, false
}

var _ encoder = (*pgproto3.ErrorResponse)(nil)
