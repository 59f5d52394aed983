package policy

import (
	"encoding/binary"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/memo"
)

// The decisions remembered are bounded (internal/memo): a rule that reads
// the text puts agents' texts in the keys.
const (
	maxMemo      = 10000
	maxMemoBytes = 8 << 20
)

// CEL is deterministic and the rules see nothing but their inputs (no
// clock, no I/O), so the same inputs give the same decision: an
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

// readsText says whether a checked rule may read action.text: it names the
// field, or uses `action` other than to select a field of it (passing the
// whole value on, where it could be read some other way).
func readsText(ast *cel.Ast) bool {
	selects, idents, text := 0, 0, false
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if e.AsIdent() == "action" {
				idents++
			}
		case celast.SelectKind:
			s := e.AsSelect()
			if op := s.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "action" {
				selects++
				text = text || s.FieldName() == "text"
			}
		}
	}))
	return text || idents != selects
}
