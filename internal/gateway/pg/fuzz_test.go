package pg

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/fuzzbound"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

func msg(typ byte, body string) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)+4))
	return append(b, body...)
}

// FuzzClientMessages feeds arbitrary bytes to the relay as a client's
// messages, in production, and checks what reaches the upstream: every
// statement forwarded is either one the policy allows outright or a forged
// refusal. Nothing held, denied or unparseable is ever forwarded.
func FuzzClientMessages(f *testing.F) {
	for _, seed := range [][]byte{
		msg('Q', "SELECT 1\x00"),
		msg('Q', "DROP TABLE t\x00"),
		msg('Q', "SELECT 1\x00DROP TABLE t\x00"),
		append(msg('P', "s1\x00DELETE FROM t\x00\x00\x00"), msg('S', "")...),
		append(append(msg('P', "\x00SELECT $1\x00\x00\x00"), msg('B', "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01x\x00\x00")...), msg('E', "\x00\x00\x00\x00\x00")...),
		msg('F', "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
		msg('Q', "SELEC 1\x00"),
		{'Q', 0, 0, 0},
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		f.Fatal(err)
	}
	g := &Gateway{Gate: &gate.Gate{Policy: eng, Approvals: &approval.Service{Store: st}, Audit: &audit.Writer{Store: st}, Store: st},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), resolveWait: time.Millisecond}
	up := Upstream{Name: "app-prod", Env: "production", DSN: "postgres://x@127.0.0.1:1/x?connect_timeout=1"}
	f.Fuzz(func(t *testing.T, data []byte) {
		clientSide, gwClient := net.Pipe()
		gwUp, upstreamSide := net.Pipe()
		s := &session{g: g, client: gwClient, up: gwUp, upstream: up, tok: store.Token{ID: "tok_f", Scope: "all"},
			cr: newMsgReader(gwClient), cw: newMsgWriter(gwClient), uw: newMsgWriter(gwUp)}
		received := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(upstreamSide); received <- b }()
		go func() { clientSide.Write(data); clientSide.Close() }()
		go io.Copy(io.Discard, clientSide) // what the gateway answers the client
		fuzzbound.Run(t, 5*time.Second, func() {
			s.fromClient(ctx)
			s.uw.Flush()
			gwUp.Close()
		})
		forwarded := <-received
		// A Parse (or a PREPARE) that needs approval runs nothing and is
		// forwarded; no Bind of it may follow.
		guardedNames := map[string]bool{}
		for len(forwarded) >= 5 {
			typ, n := forwarded[0], int(binary.BigEndian.Uint32(forwarded[1:5]))-4
			if !strings.ContainsRune("QPBCDEHSXdcf", rune(typ)) {
				t.Fatalf("message type %q reached the upstream", typ)
			}
			if n < 0 || 5+n > len(forwarded) {
				// Only a streamed message (a Bind among them, since it
				// carries no statement text) can be cut short, by the client
				// going away; the upstream then sees a broken connection and
				// runs nothing. Statements are read and judged whole.
				if strings.ContainsRune("QP", rune(typ)) {
					t.Fatalf("a truncated %q reached the upstream", typ)
				}
				break
			}
			body := forwarded[5 : 5+n]
			forwarded = forwarded[5+n:]
			var text, name string
			switch typ {
			case 'Q':
				text, _, _ = cstring(body)
			case 'P':
				var rest []byte
				name, rest, _ = cstring(body)
				text, _, _ = cstring(rest)
			case 'B':
				_, rest, _ := cstring(body)
				if stmt, _, _ := cstring(rest); guardedNames[stmt] {
					t.Fatalf("a Bind of %q, which needs approval, reached the upstream", stmt)
				}
				continue
			case 'F':
				t.Fatal("a fast-path call reached the upstream")
			default:
				continue
			}
			if strings.HasPrefix(text, `"chaperone_refused_`) {
				continue
			}
			a, res := g.cache.classify(text)
			a.Env, a.Upstream = up.Env, up.Name
			d := eng.Decide(&a)
			if typ == 'P' {
				guardedNames[name] = d.Verdict != action.Allow
			}
			if d.Verdict == action.Approve && deferrable(typ, text, res) {
				for _, p := range res.Prepared {
					guardedNames[p] = true
				}
				continue
			}
			if d.Verdict != action.Allow {
				t.Fatalf("forwarded %q, which the policy says to %s", text, d.Verdict)
			}
		}
	})
}
