package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/chaperone/chaperone/internal/store"
)

// Passkeys (WebAuthn) are the second factor an approver can use instead of
// a TOTP code. Enrolling one needs a current TOTP code, so a stolen session
// cannot add its own; every ceremony asks the authenticator to verify the
// user (PIN or biometrics).

// approverUser is an approver as go-webauthn sees them.
type approverUser struct {
	name  string
	creds []webauthn.Credential
}

func (u approverUser) WebAuthnID() []byte                         { return []byte("approver:" + u.name) }
func (u approverUser) WebAuthnName() string                       { return u.name }
func (u approverUser) WebAuthnDisplayName() string                { return u.name }
func (u approverUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (c *Console) user(ctx context.Context, name string) (approverUser, error) {
	keys, err := c.Approvals.Passkeys(ctx, name)
	if err != nil {
		return approverUser{}, err
	}
	u := approverUser{name: name}
	for _, k := range keys {
		var cred webauthn.Credential
		if err := json.Unmarshal([]byte(k.Data), &cred); err != nil {
			return u, fmt.Errorf("passkey record of %s: %w", name, err)
		}
		u.creds = append(u.creds, cred)
	}
	return u, nil
}

// relyingParty is the WebAuthn relying party for this request: the console's
// public URL when configured, else the host the browser asked for. The
// browser binds every credential to that host, so a passkey enrolled here
// works nowhere else.
func (c *Console) relyingParty(r *http.Request) (*webauthn.WebAuthn, error) {
	origin := "http://" + r.Host
	if r.TLS != nil {
		origin = "https://" + r.Host
	}
	if c.PublicURL != "" {
		origin = c.PublicURL
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("console URL %q: %v", origin, err)
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return nil, fmt.Errorf("passkeys need a host name, not the address %s: open the console at http://localhost:%s/", host, u.Port())
	}
	return webauthn.New(&webauthn.Config{
		RPDisplayName: "Chaperone", RPID: host, RPOrigins: []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired},
	})
}

// party is the relying party and the signed-in approver with their
// passkeys, or false after answering the error.
func (c *Console) party(w http.ResponseWriter, r *http.Request, s *session) (*webauthn.WebAuthn, approverUser, bool) {
	rp, err := c.relyingParty(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, approverUser{}, false
	}
	u, err := c.user(r.Context(), s.approver)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "state unavailable")
		return nil, approverUser{}, false
	}
	return rp, u, true
}

type enrollBody struct {
	Code string `json:"code"`
}

// apiPasskeyBegin starts enrolling a passkey; a TOTP code is required.
func (c *Console) apiPasskeyBegin(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	var body enrollBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "want {\"code\": the code from your authenticator app}")
		return
	}
	if err := c.Approvals.VerifyCode(r.Context(), s.approver, body.Code); err != nil {
		writeError(w, decisionStatus(err), err.Error())
		return
	}
	rp, u, ok := c.party(w, r, s)
	if !ok {
		return
	}
	var exclude []protocol.CredentialDescriptor
	for _, cred := range u.creds {
		exclude = append(exclude, cred.Descriptor())
	}
	creation, data, err := rp.BeginRegistration(u, webauthn.WithExclusions(exclude))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.setCeremony("enroll", data)
	writeJSON(w, http.StatusOK, creation)
}

// apiPasskeyFinish stores the credential the browser created.
func (c *Console) apiPasskeyFinish(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	data := s.takeCeremony("enroll")
	if data == nil {
		writeError(w, http.StatusBadRequest, "no passkey enrollment in progress: start again")
		return
	}
	rp, u, ok := c.party(w, r, s)
	if !ok {
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeError(w, http.StatusBadRequest, "the browser's answer does not parse: "+err.Error())
		return
	}
	cred, err := rp.CreateCredential(u, *data, parsed)
	if err != nil {
		writeError(w, http.StatusForbidden, "the passkey was not accepted: "+err.Error())
		return
	}
	record, _ := json.Marshal(cred)
	if err := c.Approvals.AddPasskey(r.Context(), s.approver, cred.ID, string(record)); err != nil {
		writeError(w, http.StatusInternalServerError, "the passkey could not be stored")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"passkey": "enrolled"})
}

// apiChallenge starts a passkey assertion for one vote on one request.
func (c *Console) apiChallenge(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	rp, u, ok := c.party(w, r, s)
	if !ok {
		return
	}
	if len(u.creds) == 0 {
		writeError(w, http.StatusBadRequest, "no passkey enrolled: add one on the Account page, or use a code")
		return
	}
	assertion, data, err := rp.BeginLogin(u)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.setCeremony(voteCeremony(r), data)
	writeJSON(w, http.StatusOK, assertion)
}

func voteCeremony(r *http.Request) string {
	return "vote:" + r.PathValue("id") + ":" + r.PathValue("verdict")
}

// verifyPasskey checks a passkey assertion made for this vote.
func (c *Console) verifyPasskey(r *http.Request, s *session, assertion json.RawMessage) error {
	data := s.takeCeremony(voteCeremony(r))
	if data == nil {
		return fmt.Errorf("%w: no passkey challenge for this vote; start again", errPasskey)
	}
	rp, err := c.relyingParty(r)
	if err != nil {
		return fmt.Errorf("%w: %v", errPasskey, err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(assertion))
	if err != nil {
		return fmt.Errorf("%w: %v", errPasskey, err)
	}
	u, err := c.user(r.Context(), s.approver)
	if err != nil {
		return err
	}
	cred, err := rp.ValidateLogin(u, *data, parsed)
	if err != nil {
		return fmt.Errorf("%w: %v", errPasskey, err)
	}
	if cred.Authenticator.CloneWarning {
		return fmt.Errorf("%w: the authenticator's counter went backwards (a cloned passkey?)", errPasskey)
	}
	record, _ := json.Marshal(cred)
	return c.Approvals.UpdatePasskey(r.Context(), s.approver, cred.ID, string(record))
}

var errPasskey = errors.New("passkey not accepted")

// passkeyCount is shown on the Account page.
func (c *Console) passkeys(ctx context.Context, name string) []store.Passkey {
	keys, _ := c.Approvals.Passkeys(ctx, name)
	return keys
}
