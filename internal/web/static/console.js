// Live updates: when a request arrives or changes, redraw the page's main
// section in place from the server (the server renders; this only fetches).
(function () {
  if (!window.EventSource || !document.body.dataset.live) return;
  var es = new EventSource('/events');
  var pending = false;
  es.addEventListener('request', function () {
    if (pending) return;
    pending = true;
    setTimeout(function () {
      pending = false;
      fetch(location.href, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var next = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
          var main = document.querySelector('main');
          if (next && main && !main.contains(document.activeElement)) main.replaceWith(next);
          else if (next && main) document.querySelector('h1 .live').textContent = 'updated: reload to see';
        })
        .catch(function () {});
    }, 150);
  });
})();

// Passkeys: the server's WebAuthn options travel as JSON with base64url
// strings; the browser wants ArrayBuffers, and answers in kind.
(function () {
  var csrf = document.querySelector('meta[name="csrf"]');
  if (!csrf || !window.PublicKeyCredential) return;
  function bytes(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    var bin = atob(s + '==='.slice((s.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function b64(buf) {
    var bin = '', a = new Uint8Array(buf);
    for (var i = 0; i < a.length; i++) bin += String.fromCharCode(a[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function api(path, body) {
    return fetch(path, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf.content },
      body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.status); return j; }); });
  }
  function fail(e) {
    var box = document.getElementById('passkey-error');
    if (box) { box.textContent = 'Passkey: ' + e.message; box.hidden = false; }
  }
  function ids(list) { (list || []).forEach(function (c) { c.id = bytes(c.id); }); }

  var enroll = document.getElementById('enroll');
  if (enroll) enroll.addEventListener('submit', function (ev) {
    ev.preventDefault();
    api('/api/passkeys/begin', { code: document.getElementById('enroll-code').value })
      .then(function (o) {
        var pk = o.publicKey;
        pk.challenge = bytes(pk.challenge);
        pk.user.id = bytes(pk.user.id);
        ids(pk.excludeCredentials);
        return navigator.credentials.create({ publicKey: pk });
      })
      .then(function (cred) {
        return api('/api/passkeys/finish', { id: cred.id, rawId: b64(cred.rawId), type: cred.type,
          response: { clientDataJSON: b64(cred.response.clientDataJSON), attestationObject: b64(cred.response.attestationObject),
            transports: cred.response.getTransports ? cred.response.getTransports() : [] } });
      })
      .then(function () { document.getElementById('passkey-done').hidden = false; enroll.hidden = true; })
      .catch(fail);
  });

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('button[data-passkey]');
    if (!btn) return;
    var verdict = btn.dataset.passkey, id = btn.dataset.id;
    var note = document.getElementById(verdict + '-comment').value;
    api('/api/requests/' + id + '/' + verdict + '/challenge')
      .then(function (o) {
        var pk = o.publicKey;
        pk.challenge = bytes(pk.challenge);
        ids(pk.allowCredentials);
        return navigator.credentials.get({ publicKey: pk });
      })
      .then(function (a) {
        var body = { passkey: { id: a.id, rawId: b64(a.rawId), type: a.type, response: {
          clientDataJSON: b64(a.response.clientDataJSON), authenticatorData: b64(a.response.authenticatorData),
          signature: b64(a.response.signature), userHandle: a.response.userHandle ? b64(a.response.userHandle) : null } } };
        body[verdict === 'deny' ? 'reason' : 'comment'] = note;
        return api('/api/requests/' + id + '/' + verdict, body);
      })
      .then(function () { location.reload(); })
      .catch(fail);
  });
})();
