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
