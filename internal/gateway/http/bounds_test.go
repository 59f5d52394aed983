package http

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// An agent that hangs up as soon as it has sent a found credential, or a
// token where it may not go, does not take the record with it.
func TestRefusalsAreRecordedWhenTheAgentHasLeft(t *testing.T) {
	e := setup(t)
	for _, auth := range []string{"Bearer RAILWAY-SECRET", "Bearer " + e.stage} {
		// The agent is gone by the time the refusal is recorded.
		agent, leave := context.WithCancel(ctx)
		record := e.gw.Record
		e.gw.Record = func(c context.Context, ev audit.Event) error { leave(); return record(c, ev) }
		req := httptest.NewRequest("POST", gql, strings.NewReader(`{"query":"{ me { id } }"}`)).WithContext(agent)
		req.Header.Set("Authorization", auth)
		e.gw.ServeHTTP(httptest.NewRecorder(), req)
		e.gw.Record = record
	}
	got := map[string]int{}
	e.st.View(ctx, func(tx store.Tx) error {
		es, err := tx.AuditEntries(0, 1000)
		for _, x := range es {
			got[x.Type]++
		}
		return err
	})
	if got["credential.refused"] != 1 || got["http.refused"] != 1 {
		t.Fatalf("entries written after the agent left: %v", got)
	}
}

// stagingUpstream points fly-staging, which e.stage covers, at api.
func (e *env) stagingUpstream(api *httptest.Server) {
	before := e.gw.Upstream
	e.gw.Upstream = func(n string) (Upstream, bool) {
		if n == "fly-staging" {
			return Upstream{Name: n, Env: "staging", Provider: "fly", URL: api.URL + "/v1", Credential: "FLY-SECRET"}, true
		}
		return before(n)
	}
}

// An answer the upstream breaks off reaches the agent broken, not as a
// whole answer that happens to be shorter.
func TestACutAnswerReachesTheAgentCut(t *testing.T) {
	e := setup(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte(strings.Repeat("x", 50000)))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection closes mid-answer
	}))
	defer api.Close()
	e.stagingUpstream(api)
	req, _ := http.NewRequest("GET", e.srv.URL+"/u/fly-staging/apps", nil)
	req.Header.Set("Authorization", "Bearer "+e.stage)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("HTTP %d, %d bytes, and a clean end: the agent cannot tell the answer was cut", resp.StatusCode, len(body))
	}
}

// The server bounds only a request's headers; the gateway bounds its body
// and the writing of its answer, so that a slow agent cannot hold a
// connection for as long as it likes.
func TestATrickledBodyAndAnUnreadAnswerAreBounded(t *testing.T) {
	e := setup(t)
	defer func(b, a time.Duration) { bodyTimeout, answerTimeout = b, a }(bodyTimeout, answerTimeout)
	bodyTimeout, answerTimeout = 300*time.Millisecond, 300*time.Millisecond
	stopped := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(stopped)
		chunk := []byte(strings.Repeat("y", 64<<10))
		for i := 0; i < 4096; i++ { // 256 MiB: more than any socket buffers
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer api.Close()
	e.stagingUpstream(api)
	addr := strings.TrimPrefix(e.srv.URL, "http://")

	// A body that stops coming: the agent hears 408, nothing is forwarded.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /u/fly-staging/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":", e.stage)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a body that stopped coming: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || e.prov.count() != 0 {
		t.Fatalf("HTTP %d, %d requests reached the upstream", resp.StatusCode, e.prov.count())
	}

	// An answer the agent never reads: the gateway gives up writing it,
	// and lets go of the upstream.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(c2, "GET /u/fly-staging/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", e.stage)
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway still writes an answer its agent does not read, and holds the upstream")
	}
}

// The deadlines are a request's own: the next request on a kept-alive
// connection, later than they would have fallen, is read and answered,
// whether it is forwarded or refused.
func TestDeadlinesEndWithTheirRequest(t *testing.T) {
	e := setup(t)
	defer func(b, a time.Duration) { bodyTimeout, answerTimeout = b, a }(bodyTimeout, answerTimeout)
	bodyTimeout, answerTimeout = 200*time.Millisecond, 200*time.Millisecond
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	for i, tok := range []string{e.stage, e.stage, "chp_not-a-token", e.stage} {
		fmt.Fprintf(c, "POST /u/fly-staging/apps/a/machines/m/start HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}", tok)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d on the kept-alive connection: %v", i+1, err)
		}
		body, err := io.ReadAll(resp.Body)
		if want := map[bool]int{true: 200, false: 401}[tok == e.stage]; resp.StatusCode != want || err != nil {
			t.Fatalf("request %d: HTTP %d (want %d) %s %v", i+1, resp.StatusCode, want, body, err)
		}
		time.Sleep(500 * time.Millisecond) // past both deadlines
	}
	if e.prov.count() != 3 {
		t.Fatalf("%d requests reached the upstream", e.prov.count())
	}
}
