package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"time"

	"github.com/pquerna/otp/totp"
)

// approver is a scripted human using the console's JSON API: signed in
// with a password, voting with a code from the authenticator app, exactly
// as the console does. An agent token cannot do any of this.
type approver struct {
	name, csrf, base, secret string
	client                   *http.Client
}

func (w *world) signIn(name string) (*approver, error) {
	jar, _ := cookiejar.New(nil)
	a := &approver{name: name, base: "http://" + w.httpAddr, secret: w.totp[name], client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var out struct {
		CSRF string `json:"csrf"`
	}
	if err := a.call("POST", "/api/session", map[string]string{"name": name, "password": approverPass}, &out); err != nil {
		return nil, err
	}
	a.csrf = out.CSRF
	return a, nil
}

// request is what the approver reads before deciding.
type request struct {
	ID, State, Env, Upstream, Text, Class, Rule, Impact string
}

func (a *approver) show(id string) (request, error) {
	var r request
	return r, a.call("GET", "/api/requests/"+id, nil, &r)
}

func (a *approver) approve(id, comment string) error {
	return a.vote(id, "approve", map[string]string{"comment": comment})
}

func (a *approver) deny(id, reason string) error {
	return a.vote(id, "deny", map[string]string{"reason": reason})
}

func (a *approver) vote(id, how string, body map[string]string) error {
	code, err := totp.GenerateCode(a.secret, time.Now())
	if err != nil {
		return err
	}
	body["code"] = code
	return a.call("POST", "/api/requests/"+id+"/"+how, body, nil)
}

func (a *approver) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, errorOf(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
