package sql

/*
#include <stdlib.h>

// From libpg_query's pg_query.h, which pg_query_go compiles and links but
// whose Go API has no way to pass parser options.
typedef struct {
	char* message;
	char* funcname;
	char* filename;
	int lineno;
	int cursorpos;
	char* context;
} PgQueryError;

typedef struct {
	size_t len;
	char* data;
} PgQueryProtobuf;

typedef struct {
	PgQueryProtobuf parse_tree;
	char* stderr_buffer;
	PgQueryError* error;
} PgQueryProtobufParseResult;

PgQueryProtobufParseResult pg_query_parse_protobuf_opts(const char* input, int parser_options);
void pg_query_free_protobuf_parse_result(PgQueryProtobufParseResult result);

// PG_QUERY_DISABLE_STANDARD_CONFORMING_STRINGS
#define CHAPERONE_SCS_OFF 32
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// The session's standard_conforming_strings is pinned on, and a change
// reported by the server ends the session; but a client may send
// statements behind the one that changes it before that report arrives,
// and the server reads those with the setting off. Whatever the setting,
// a text means one of two things, and only when it holds a backslash: it
// is judged by both readings.

// escapeReading parses text as PostgreSQL reads it with
// standard_conforming_strings off, where a backslash in a plain string
// literal escapes the next character (a quote included). ok is false when
// the text reads the same either way (no backslash) or does not parse
// that way (the server would reject it then, running nothing).
func escapeReading(text string) (tree *pg_query.ParseResult, ok bool) {
	if !strings.ContainsRune(text, '\\') || strings.ContainsRune(text, 0) {
		return nil, false
	}
	tree, err := parseScsOff(text)
	return tree, err == nil
}

func parseScsOff(text string) (*pg_query.ParseResult, error) {
	in := C.CString(text)
	defer C.free(unsafe.Pointer(in))
	res := C.pg_query_parse_protobuf_opts(in, C.CHAPERONE_SCS_OFF)
	defer C.pg_query_free_protobuf_parse_result(res)
	if res.error != nil {
		return nil, errors.New(C.GoString(res.error.message))
	}
	tree := &pg_query.ParseResult{}
	if err := proto.Unmarshal(C.GoBytes(unsafe.Pointer(res.parse_tree.data), C.int(res.parse_tree.len)), tree); err != nil {
		return nil, err
	}
	return tree, nil
}
