package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// archive reads pg_dump's custom-format archive as it streams from pg_dump
// to the store, and
//   - works out, for every table whose data it holds, the count and
//     checksum TableChecksum would give (the sum of
//     hashtextextended(ROW(t.*)::text, 0)), so that the tables need not be
//     read a second time;
//   - writes it on with each table's data in chunks of up to chunkSize
//     bytes: uncompressed, pg_dump writes a chunk per row, and pg_restore
//     sends the server a message per chunk.
//
// Only the uncompressed archive of pg_dump 15 (format 1.14) is read; any
// other is written on as it is, with no sums (the caller scans the tables
// instead).
//
// The archive is a header, a table of contents, then one block per table
// (BLK_DATA, its dump id, then length-prefixed chunks of COPY text up to a
// zero length); large objects come in BLK_BLOBS blocks.
type archive struct {
	r       *bufio.Reader
	w       *bufio.Writer
	intSize int
	// tables maps a TABLE DATA entry's dump id to its table (archiveKey).
	tables map[int64]string
	sums   map[string]*tableSum
	out    []byte // the chunk being gathered
}

// archiveKey names a table by schema and name: a NUL, which no name
// holds, keeps "a.b"."c" and "a"."b.c" apart.
func archiveKey(schema, table string) string { return schema + "\x00" + table }

// chunkSize is the most data the rewritten archive puts in one chunk.
const chunkSize = 128 << 10

type tableSum struct {
	rows int64
	sum  big.Int
	acc  int64 // added into sum before it could overflow
}

const (
	blkData  = 1
	blkBlobs = 3
)

var errArchive = errors.New("not an archive this reader knows")

// rewriteArchive copies the archive from r to w as described above. sums
// is nil when the archive is not one it reads; an error is a failure to
// read or write, after which w holds only part of the archive.
func rewriteArchive(r io.Reader, w io.Writer) (sums map[string]*tableSum, err error) {
	a := &archive{r: bufio.NewReaderSize(r, 1<<16), w: bufio.NewWriterSize(w, 1<<16), tables: map[int64]string{}, sums: map[string]*tableSum{}}
	defer func() {
		if ferr := a.w.Flush(); err == nil {
			err = ferr
		}
	}()
	if err := a.header(); err != nil {
		if !errors.Is(err, errArchive) {
			return nil, err
		}
		// What was read of the header is written already.
		_, err := io.Copy(a.w, a.r)
		return nil, err
	}
	if err := a.toc(); err != nil {
		return nil, err
	}
	for {
		typ, err := a.r.ReadByte()
		if err == io.EOF {
			return a.sums, nil
		}
		if err != nil {
			return nil, err
		}
		a.w.WriteByte(typ)
		id, err := a.int()
		if err != nil {
			return nil, err
		}
		switch typ {
		case blkData:
			var rows *copyRows
			if name, ok := a.tables[id]; ok {
				if _, dup := a.sums[name]; dup {
					return nil, fmt.Errorf("%w: %s has two data blocks", errArchive, name)
				}
				t := &tableSum{}
				a.sums[name] = t
				rows = &copyRows{sum: t}
			}
			err = a.chunks(rows)
		case blkBlobs:
			for err == nil {
				var oid int64
				if oid, err = a.int(); err == nil && oid == 0 {
					break
				}
				if err == nil {
					err = a.chunks(nil)
				}
			}
		default:
			return nil, fmt.Errorf("%w: block type %d", errArchive, typ)
		}
		if err != nil {
			return nil, err
		}
	}
}

// take reads n bytes and writes them on.
func (a *archive) take(n int) ([]byte, error) {
	b, err := a.r.Peek(n)
	if len(b) < n {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	a.w.Write(b)
	a.r.Discard(n)
	return b, nil
}

func (a *archive) header() error {
	h, err := a.take(11)
	if err != nil {
		return err
	}
	// PGDMP, version 1.14.x, int size, offset size, custom format (1).
	if string(h[:5]) != "PGDMP" || h[5] != 1 || h[6] != 14 || h[8] < 1 || h[8] > 8 || h[9] != 8 || h[10] != 1 {
		return fmt.Errorf("%w: header % x", errArchive, h)
	}
	a.intSize = int(h[8])
	b, err := a.r.Peek(1 + a.intSize)
	if err != nil {
		return err
	}
	if !allZero(b) {
		return fmt.Errorf("%w: compressed", errArchive)
	}
	a.int()
	for range 7 { // creation time
		if _, err := a.int(); err != nil {
			return err
		}
	}
	for range 3 { // database name, server and pg_dump versions
		if _, _, err := a.str(); err != nil {
			return err
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (a *archive) toc() error {
	n, err := a.int()
	if err != nil {
		return err
	}
	for range n {
		id, err := a.int()
		if err != nil {
			return err
		}
		var f [12]string                   // from tableoid to owner; then "false"
		if _, err := a.int(); err != nil { // had a data dumper
			return err
		}
		for i := range f {
			if i == 4 { // section, between desc and defn
				if _, err := a.int(); err != nil {
					return err
				}
			}
			if f[i], _, err = a.str(); err != nil {
				return err
			}
		}
		tag, desc, namespace := f[2], f[3], f[7]
		for { // dependencies, up to a null
			if _, null, err := a.str(); err != nil || null {
				if err != nil {
					return err
				}
				break
			}
		}
		// The data's offset: a flag and 8 bytes. Read from a pipe, it is
		// not set, and the blocks are found in order.
		if _, err := a.take(9); err != nil {
			return err
		}
		if desc == "TABLE DATA" {
			a.tables[id] = archiveKey(namespace, tag)
		}
	}
	return nil
}

// int reads (and writes on) pg_dump's integer: a sign byte, then intSize
// bytes, least significant first.
func (a *archive) int() (int64, error) {
	b, err := a.take(1 + a.intSize)
	if err != nil {
		return 0, err
	}
	return a.decode(b), nil
}

func (a *archive) decode(b []byte) int64 {
	var v int64
	for i := a.intSize; i >= 1; i-- {
		v = v<<8 | int64(b[i])
	}
	if b[0] != 0 {
		v = -v
	}
	return v
}

// putInt writes an integer as pg_dump does.
func (a *archive) putInt(v int64) {
	var b [9]byte
	if v < 0 {
		b[0], v = 1, -v
	}
	for i := 1; i <= a.intSize; i++ {
		b[i] = byte(v)
		v >>= 8
	}
	a.w.Write(b[:1+a.intSize])
}

func (a *archive) str() (s string, null bool, err error) {
	n, err := a.int()
	if err != nil || n < 0 {
		return "", err == nil, err
	}
	if n > 1<<30 {
		return "", false, fmt.Errorf("%w: a string of %d bytes", errArchive, n)
	}
	b := make([]byte, n)
	if _, err = io.ReadFull(a.r, b); err != nil {
		return "", false, err
	}
	a.w.Write(b)
	return string(b), false, nil
}

// chunks reads a data block's chunks, up to the zero length that ends it.
// A table's data (rows set) is added up and written on in chunks of up to
// chunkSize; anything else is written on as it came.
func (a *archive) chunks(rows *copyRows) error {
	for {
		b, err := a.r.Peek(1 + a.intSize)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		n := a.decode(b)
		a.r.Discard(len(b))
		if n == 0 {
			if rows == nil {
				a.putInt(0)
				return nil
			}
			a.flushChunk()
			a.putInt(0)
			return rows.end()
		}
		if n < 0 || n > 1<<30 {
			return fmt.Errorf("%w: a chunk of %d bytes", errArchive, n)
		}
		if rows == nil {
			a.putInt(n)
			if _, err := io.CopyN(a.w, a.r, n); err != nil {
				return err
			}
			continue
		}
		for n > 0 {
			b, err := a.r.Peek(min(int(n), a.r.Size()))
			if len(b) == 0 {
				return err
			}
			rows.write(b)
			for len(b) > 0 {
				k := min(len(b), chunkSize-len(a.out))
				a.out = append(a.out, b[:k]...)
				if len(a.out) == chunkSize {
					a.flushChunk()
				}
				a.r.Discard(k)
				n -= int64(k)
				b = b[k:]
			}
		}
	}
}

func (a *archive) flushChunk() {
	if len(a.out) > 0 {
		a.putInt(int64(len(a.out)))
		a.w.Write(a.out)
		a.out = a.out[:0]
	}
}

// copyRows turns COPY text rows into their record text and adds its hash.
type copyRows struct {
	sum     *tableSum
	partial []byte // a row split across chunks
	done    bool   // the end-of-data line was seen
	rec     []byte
	field   []byte
}

func (c *copyRows) write(b []byte) {
	for len(b) > 0 && !c.done {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.partial = append(c.partial, b...)
			return
		}
		line := b[:i]
		if len(c.partial) > 0 {
			c.partial = append(c.partial, line...)
			line = c.partial
		}
		c.row(line)
		c.partial = c.partial[:0]
		b = b[i+1:]
	}
}

func (c *copyRows) end() error {
	if len(c.partial) > 0 || !c.done {
		return fmt.Errorf("%w: table data ends without the end-of-data line", errArchive)
	}
	c.sum.flush()
	return nil
}

// row adds one COPY line: tab-separated fields, \N for null, backslash
// escapes. record_out writes the row as (f1,f2,...): a null as nothing,
// a value in double quotes (with " and \ doubled) when it is empty or
// holds a quote, backslash, parenthesis, comma or white space.
func (c *copyRows) row(line []byte) {
	if string(line) == `\.` {
		c.done = true
		return
	}
	// COPY writes a backslash, and every white space but the space, as an
	// escape: in a line without one, no field is null or escaped, and of
	// the bytes record_out quotes for only " (), and the space can occur.
	// Most lines are such, and are settled with a scan or two of the
	// whole line rather than several of each field.
	plain := bytes.IndexByte(line, '\\') < 0
	quotes := !plain || bytes.IndexByte(line, '"') >= 0
	rec := append(c.rec[:0], '(')
	for first := true; ; first = false {
		i := bytes.IndexByte(line, '\t')
		f := line
		if i >= 0 {
			f = line[:i]
		}
		if !first {
			rec = append(rec, ',')
		}
		if plain || string(f) != `\N` {
			v := f
			if !plain && bytes.IndexByte(f, '\\') >= 0 {
				v = unescape(c.field[:0], f)
				c.field = v
			}
			var need byte
			if bytes.IndexByte(v, ' ') >= 0 {
				// Most quoted values hold a space: vectorised scans
				// settle them without a loop over every byte.
				need = quoted
				if quotes && (bytes.IndexByte(v, '"') >= 0 || bytes.IndexByte(v, '\\') >= 0) {
					need |= doubled
				}
			} else {
				for _, ch := range v {
					need |= recordSpecial[ch]
				}
			}
			switch {
			case need == 0 && len(v) > 0:
				rec = append(rec, v...)
			case need&doubled == 0:
				rec = append(append(append(rec, '"'), v...), '"')
			default:
				rec = append(rec, '"')
				for _, ch := range v {
					if ch == '"' || ch == '\\' {
						rec = append(rec, ch)
					}
					rec = append(rec, ch)
				}
				rec = append(rec, '"')
			}
		}
		if i < 0 {
			break
		}
		line = line[i+1:]
	}
	rec = append(rec, ')')
	c.rec = rec
	c.sum.add(hashText(rec))
}

// recordSpecial marks the bytes that make record_out quote a value, and
// those it doubles inside the quotes.
var recordSpecial = func() (t [256]byte) {
	for _, ch := range "()," + " \t\n\v\f\r" {
		t[ch] = quoted
	}
	t['"'], t['\\'] = quoted|doubled, quoted|doubled
	return t
}()

const (
	quoted  = 1
	doubled = 2
)

// copyEscapes are the letters of COPY's one-letter escapes, and
// copyEscaped the bytes they stand for.
const copyEscapes, copyEscaped = "bfnrtv", "\b\f\n\r\t\v"

// unescape appends the value of a COPY text field to dst.
func unescape(dst, f []byte) []byte {
	for i := 0; i < len(f); i++ {
		ch := f[i]
		if ch != '\\' || i+1 == len(f) {
			dst = append(dst, ch)
			continue
		}
		i++
		e := f[i]
		if k := strings.IndexByte(copyEscapes, e); k >= 0 {
			dst = append(dst, copyEscaped[k])
			continue
		}
		switch e {
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := e - '0'
			for j := 0; j < 2 && i+1 < len(f) && f[i+1] >= '0' && f[i+1] <= '7'; j++ {
				i++
				v = v<<3 | (f[i] - '0')
			}
			dst = append(dst, v)
		case 'x':
			v, n := byte(0), 0
			for ; n < 2 && i+1 < len(f) && isHex(f[i+1]); n++ {
				i++
				v = v<<4 | unhex(f[i])
			}
			if n == 0 {
				dst = append(dst, 'x')
			} else {
				dst = append(dst, v)
			}
		default:
			dst = append(dst, e)
		}
	}
	return dst
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

func unhex(b byte) byte {
	switch {
	case b >= 'a':
		return b - 'a' + 10
	case b >= 'A':
		return b - 'A' + 10
	}
	return b - '0'
}

func (t *tableSum) add(h int64) {
	t.rows++
	// The running int64 goes into the big sum just before it would
	// overflow.
	if (h > 0 && t.acc > (1<<63-1)-h) || (h < 0 && t.acc < (-1<<63)-h) {
		t.flush()
	}
	t.acc += h
}

func (t *tableSum) flush() {
	if t.acc != 0 {
		t.sum.Add(&t.sum, big.NewInt(t.acc))
		t.acc = 0
	}
}

// checksum is the sum as TableChecksum writes it.
func (t *tableSum) checksum() string {
	t.flush()
	return t.sum.String()
}
