package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chaperone/chaperone/internal/human"
)

// The socket protocol between chaperone-hook (or `chaperone hook --socket`)
// and `chaperone serve`. The client writes one JSON header line, then the
// agent's raw input, then half-closes. The server answers "ok\n" followed by
// exactly the bytes to print (possibly none: "no opinion"), or anything else
// to say it could not answer, in which case the client decides locally.

// Header is the request's first line.
type Header struct {
	Agent string `json:"agent"`
	Env   string `json:"env,omitempty"`
}

const (
	// OK starts a reply that carries a decision.
	OK = "ok\n"
	// MaxHeader bounds the header line.
	MaxHeader = 4 << 10
)

// ErrNoServer says the socket had no usable server behind it.
var ErrNoServer = errors.New("chaperone serve is not answering on the hook socket")

// Ask forwards one hook invocation to `chaperone serve` over its unix socket
// and returns what to print. Any error means no decision was made remotely.
func Ask(socket, agent, env string, input []byte, timeout time.Duration) ([]byte, error) {
	h, _ := json.Marshal(Header{Agent: agent, Env: env})
	req := make([]byte, 0, len(h)+1+len(input))
	req = append(append(append(req, h...), '\n'), input...)
	resp, err := roundTrip(socket, req, timeout)
	if err != nil {
		return nil, fmt.Errorf("%w (%s): %v", ErrNoServer, socket, err)
	}
	out, ok := bytes.CutPrefix(resp, []byte(OK))
	if !ok {
		return nil, fmt.Errorf("%w (%s): %q", ErrNoServer, socket, human.OneLine(human.FirstLine(string(resp)), 200))
	}
	return out, nil
}
