package policy

import (
	"encoding/binary"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/memo"
)

// The decisions remembered are bounded (internal/memo): a rule that reads
// the text puts agents' texts in the keys.
const (
	maxMemo      = 10000
	maxMemoBytes = 8 << 20
)

// The rules see nothing but their inputs (no clock, no I/O), and CEL is
// deterministic but for iterating over maps (a rule that does is never
// remembered: inspect), so the same inputs give the same decision: an
// application's statements, which differ only in their literals, are
// decided once. The statement text is part of the key only when some rule
// reads it; texts that differ would otherwise each take a slot for one
// decision.
func newMemo() *memo.Map[action.Decision] {
	return &memo.Map[action.Decision]{MaxEntries: maxMemo, MaxBytes: maxMemoBytes}
}

// memoKey appends to b the rules' whole input, text left out unless
// withText. Fields carry their length and lists their count, so two
// different inputs never share a key.
func memoKey(b []byte, a *action.Action, withText bool) []byte {
	field := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, s := range [...]string{string(a.Kind), string(a.Class), a.Env, a.Upstream, a.Requester, a.Scope} {
		field(s)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Targets)))
	for _, t := range a.Targets {
		field(t)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Reasons)))
	for _, r := range a.Reasons {
		field(r.ID)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Placements)))
	for _, p := range a.Placements {
		field(p.Target)
		field(p.Env)
	}
	if withText {
		field(a.Text)
	}
	return b
}

// inspect says what a checked rule's AST means for remembering its
// decisions. readsText: it may read action.text, because it names the
// field or uses `action` other than to select a field of it (passing the
// whole value on, where it could be read some other way); `.action`, the
// global reached past a macro variable of the same name, counts as
// `action`. orderDependent: it iterates over something that is not known
// to be a list (a map, or a dyn value that may be one), whose order CEL
// leaves to Go's map iteration, so its answer may change from one
// evaluation to the next and must not be remembered.
func inspect(ast *cel.Ast) (readsText, orderDependent bool) {
	native := ast.NativeRep()
	selects, idents := 0, 0
	isAction := func(e celast.Expr) bool {
		return e.Kind() == celast.IdentKind && strings.TrimPrefix(e.AsIdent(), ".") == "action"
	}
	celast.PostOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if isAction(e) {
				idents++
			}
		case celast.SelectKind:
			if s := e.AsSelect(); isAction(s.Operand()) {
				selects++
				readsText = readsText || s.FieldName() == "text"
			}
		case celast.ComprehensionKind:
			t := native.GetType(e.AsComprehension().IterRange().ID())
			orderDependent = orderDependent || t == nil || t.Kind() != types.ListKind
		}
	}))
	return readsText || idents != selects, orderDependent
}
