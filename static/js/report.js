/* The report page while a session is being scored: reload once it is scored.
   Listens on the session's WebSocket for {"type": "session.status", "status": "scored"} and,
   as a fallback, polls the session API every few seconds. */
(function () {
  "use strict";
  var root = document.getElementById("report");
  if (!root || root.getAttribute("data-status") !== "scoring") return;

  var FINAL = { scored: true, abandoned: true };
  var POLL_MS = 4000;
  var done = false;
  var retryMs = 1000;

  function finish() {
    if (done) return;
    done = true;
    var note = root.querySelector("[data-scoring-message]");
    if (note) note.textContent = "Your report is ready — loading it…";
    window.location.reload();
  }

  function connect() {
    if (done || !("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    } catch (err) {
      return;
    }
    socket.addEventListener("open", function () { retryMs = 1000; });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      if (!frame || typeof frame !== "object") return;
      if ((frame.type === "session.status" || frame.type === "history") && FINAL[frame.status]) {
        finish();
      }
    });
    socket.addEventListener("close", function (event) {
      if (done || event.code === 4401 || event.code === 4404) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    });
  }

  function poll() {
    if (done) return;
    fetch(root.getAttribute("data-api-path"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        var status = body && body.data && body.data.status;
        if (FINAL[status]) finish();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { if (!done) setTimeout(poll, POLL_MS); });
  }

  connect();
  setTimeout(poll, POLL_MS);
})();
