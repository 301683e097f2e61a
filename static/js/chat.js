// The live chat page: one WebSocket per tab, rebuilt from `history` after every reconnect.
// Messages the server has not acknowledged are kept by client_id and resent; the server stores
// each client_id once, so a resend never duplicates anything.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root) return;

  const cfg = root.dataset;
  const maxChars = parseInt(cfg.maxChars, 10) || 4000;
  const enterSends = cfg.enterSends === "1";
  const customerName = cfg.customerName || "Customer";
  const transcript = document.getElementById("chat-transcript");
  const typing = document.getElementById("chat-typing");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const sendButton = document.getElementById("chat-send");
  const counter = document.getElementById("chat-counter");
  const connection = document.getElementById("chat-connection");
  const alertBox = document.getElementById("chat-alert");
  const waitBox = document.getElementById("chat-wait");
  const notice = document.getElementById("chat-notice");
  const mood = document.getElementById("chat-mood");
  const timer = document.getElementById("chat-timer");
  const turnsCount = document.getElementById("chat-turns");
  const turnsBox = document.getElementById("chat-turns-box");
  const turnsMost = parseInt(cfg.turnsMost, 10) || 0;
  const moods = document.getElementById("chat-moods");
  const endButton = document.getElementById("chat-end");
  const hintButton = document.getElementById("chat-hint-button");
  const hintDialog = document.getElementById("chat-hint-dialog");
  const coach = document.getElementById("chat-coach");
  const endDialog = document.getElementById("chat-end-dialog");

  // Heartbeat: a ping every HEARTBEAT_MS; a socket that then stays silent for
  // HEARTBEAT_TIMEOUT_MS is dead (a dropped Wi-Fi or a sleeping laptop never says "close").
  const HEARTBEAT_MS = 15000;
  const HEARTBEAT_TIMEOUT_MS = 5000;
  // The server answers frames in order, so a ping sent while the customer is composing a reply
  // waits for that reply (a slow model may think for a while before its first word).
  const HEARTBEAT_BUSY_TIMEOUT_MS = 30000;

  const pending = new Map(); // client_id -> {content, el}
  const failed = new Map(); // client_id -> {content, el}: not stored, the trainee may retry
  let socket = null;
  let retry = 0;
  let reconnectTimer = null;
  let heartbeatTimer = null;
  let silenceTimer = null;
  let status = cfg.status;
  let stopped = false;

  // ---- rendering -------------------------------------------------------------------------
  function author(role) {
    if (role === "agent") return "You";
    if (role === "customer") return customerName;
    return "System";
  }

  function messageElement(role) {
    const li = document.createElement("li");
    li.className = "chat-msg chat-msg-" + role;
    const who = document.createElement("span");
    who.className = "chat-author";
    who.textContent = author(role);
    const text = document.createElement("p");
    text.className = "chat-text";
    li.appendChild(who);
    li.appendChild(text);
    return li;
  }

  function textOf(li) { return li.querySelector(".chat-text"); }

  function findMessage(id) {
    return id ? transcript.querySelector('[data-message-id="' + CSS.escape(String(id)) + '"]') : null;
  }

  function scrollDown() { transcript.scrollTop = transcript.scrollHeight; }

  // The transcript scrolls inside a pane that notices above it can shrink: whoever was reading
  // the newest message keeps seeing it; whoever scrolled up to read older ones stays there.
  let paneHeight = transcript.clientHeight;
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      const shrunk = Math.max(0, paneHeight - transcript.clientHeight);
      paneHeight = transcript.clientHeight;
      const below = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight;
      if (below <= 24 + shrunk) scrollDown();
    }).observe(transcript);
  }

  function render(message) {
    let li = findMessage(message.id);
    const unsent = message.client_id ? pending.get(message.client_id) || failed.get(message.client_id) : null;
    if (!li && unsent) li = unsent.el;
    if (message.client_id) { pending.delete(message.client_id); failed.delete(message.client_id); }
    if (!li) li = messageElement(message.role);
    if (!li.isConnected) transcript.appendChild(li);
    li.classList.remove("chat-msg-pending", "chat-msg-failed", "chat-msg-streaming");
    const retryButton = li.querySelector(".chat-retry");
    if (retryButton) retryButton.remove();
    li.dataset.messageId = message.id;
    li.dataset.seq = message.seq;
    if (message.client_id) li.dataset.clientId = message.client_id;
    textOf(li).textContent = message.content;
    placeInOrder(li);
    scrollDown();
    if (message.role === "agent") updateTurns();
    else if (message.role === "customer") customerSpoke();
    return li;
  }

  // The trainee's replies so far: stored ones and those still on their way (not refused ones).
  function updateTurns() {
    if (!turnsCount) return;
    let count = 0;
    for (const li of transcript.querySelectorAll(".chat-msg-agent")) {
      if (li.dataset.messageId || li.classList.contains("chat-msg-pending")) count += 1;
    }
    turnsCount.textContent = String(count);
    if (turnsBox) turnsBox.classList.toggle("chat-turns-over", turnsMost > 0 && count > turnsMost);
  }

  // A customer message arrived: whatever it was waiting for, the wait is over.
  function customerSpoke() {
    showWait("");
    if (panels.active() !== "chat") panels.markUnread();
  }

  function placeInOrder(li) {
    // Stored messages are ordered by seq; unsent ones stay at the end.
    const seq = parseInt(li.dataset.seq, 10);
    if (isNaN(seq)) return;
    for (const other of transcript.children) {
      const otherSeq = parseInt(other.dataset.seq, 10);
      if (other !== li && (isNaN(otherSeq) || otherSeq > seq)) {
        if (li.nextSibling !== other) transcript.insertBefore(li, other);
        return;
      }
    }
    if (transcript.lastElementChild !== li) transcript.appendChild(li);
  }

  function streamInto(messageId, delta) {
    let li = findMessage(messageId);
    if (!li) {
      li = messageElement("customer");
      li.dataset.messageId = messageId;
      li.classList.add("chat-msg-streaming");
      transcript.appendChild(li);
    }
    textOf(li).textContent += delta;
    // The indicator stays on until customer.done: the customer is still typing.
    setTyping(true);
    scrollDown();
  }

  function dropStream(messageId) {
    const li = findMessage(messageId);
    if (li && li.classList.contains("chat-msg-streaming")) li.remove();
    setTyping(false);
  }

  function setTyping(on) { typing.hidden = !on; if (on) scrollDown(); }

  function setConnection(state, label) {
    connection.dataset.state = state;
    connection.textContent = label;
  }

  function setMood(value) {
    if (!mood || !value) return;
    mood.dataset.mood = value;
    mood.querySelector("[data-mood-label]").textContent = value;
    recordMood(value);
  }

  // The mood line beside the transcript: one marker per change, each with its words.
  function recordMood(value) {
    if (!moods) return;
    const last = moods.lastElementChild;
    if (last && last.dataset.mood === value) return;
    const turn = turnsCount ? parseInt(turnsCount.textContent, 10) || 0 : 0;
    const when = turn ? "After turn " + turn : "At the start";
    const li = document.createElement("li");
    li.className = "chat-mood-mark";
    li.dataset.mood = value;
    li.dataset.turn = String(turn);
    li.title = when + ": " + value;
    const dot = document.createElement("span");
    dot.className = "chat-mood-dot";
    dot.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = when + ": ";
    li.appendChild(dot);
    li.appendChild(label);
    li.appendChild(document.createTextNode(value));
    moods.appendChild(li);
  }

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
  }

  // A polite note, not an error: this message is stored and waits for the customer.
  function showWait(text) {
    if (!waitBox || waitBox.textContent === text) return;
    waitBox.textContent = text;
    waitBox.hidden = !text;
  }

  function setStatus(newStatus, outcome) {
    status = newStatus;
    if (outcome === "resolved" && newStatus === "active") {
      notice.textContent = "The customer says it is fixed. Close the conversation politely, then end the session.";
      notice.hidden = false;
    }
    if (newStatus !== "active") {
      stopped = true;
      input.disabled = true;
      sendButton.disabled = true;
      endButton.disabled = true;
      if (hintButton) hintButton.disabled = true;
      document.querySelectorAll("[data-kb-insert], .chat-retry").forEach(function (button) { button.disabled = true; });
      stopHeartbeat();
      setTyping(false);
      notice.hidden = false;
      if (outcome === "escalated") {
        // The customer walked out: the trainee reads their last words and moves on when ready,
        // rather than being taken to the report a moment after the line appears.
        notice.textContent = "The customer has asked for someone else, so the session has ended. ";
        const toReport = document.createElement("button");
        toReport.type = "button";
        toReport.className = "btn";
        toReport.textContent = "See your report";
        toReport.addEventListener("click", function () { window.location.reload(); });
        notice.appendChild(toReport);
        return;
      }
      notice.textContent = "The session has ended and is being scored…";
      // The page itself shows the report once the session is no longer active.
      setTimeout(function () { window.location.reload(); }, 1500);
    }
  }

  // ---- the socket ------------------------------------------------------------------------
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function resendPending() {
    for (const [clientId, item] of pending) {
      send({ type: "agent.message", content: item.content, client_id: clientId });
    }
  }

  function onHistory(frame) {
    const unsent = [];
    for (const [, item] of pending) unsent.push(item.el);
    for (const [, item] of failed) unsent.push(item.el);
    transcript.textContent = "";
    for (const message of frame.messages || []) render(message);
    for (const el of unsent) if (!el.isConnected) transcript.appendChild(el);
    updateTurns();
    showWait("");
    setMood(frame.mood);
    const given = frame.hints || [];
    // A reconnect refreshes the hint on show; one acted on before stays put away.
    if (given.length && coach && !coach.hidden) showHint(given[given.length - 1], given.length);
    setHintsLeft(frame.hints_left);
    setTyping(Boolean(frame.customer_typing));
    scrollDown();
    if (frame.status && frame.status !== "active") { setStatus(frame.status, frame.outcome); return; }
    if (frame.outcome === "resolved") setStatus("active", "resolved");
    resendPending();
  }

  // Errors after the message was stored whose answer a retry can still get.
  const RETRY_ANSWER = new Set(["engine_error", "unavailable"]);

  function onError(frame) {
    if (frame.code === "hint_limit") setHintsLeft(0);
    if (frame.code === "busy") {
      // Another tab's message is being answered; this one is stored, and the server answers
      // it once that reply is done. Nothing failed: say so quietly, until the customer speaks.
      showWait(customerName + " is answering another message first. Yours is saved and will be answered next.");
      return;
    }
    if (frame.message_id) dropStream(frame.message_id);
    const item = frame.client_id ? pending.get(frame.client_id) : null;
    if (item && frame.code === "rate_limited") {
      // Still unsent: try again shortly.
      setTimeout(function () {
        if (pending.has(frame.client_id)) send({ type: "agent.message", content: item.content, client_id: frame.client_id });
      }, 3000);
    } else if (item && (frame.code === "server_error" || frame.code === "unavailable")) {
      // Nothing was stored, and a client_id is stored at most once: the same one may go again.
      markFailed(frame.client_id, item);
      offerRetry(frame.client_id, item);
    } else if (!item && frame.client_id && RETRY_ANSWER.has(frame.code)) {
      // Stored, but the customer's answer failed: sending the same client_id again asks for it.
      const li = transcript.querySelector('[data-client-id="' + CSS.escape(frame.client_id) + '"]');
      if (li) {
        const stored = { content: textOf(li).textContent, el: li };
        markFailed(frame.client_id, stored);
        offerRetry(frame.client_id, stored);
      }
    } else if (item) {
      // Refused as it is (too long, session over…): back in the box to change, not to resend.
      markFailed(frame.client_id, item);
      if (!input.value) { input.value = item.content; updateCounter(); }
    }
    if (frame.code === "session_not_active") setStatus("scoring", "");
    showAlert(frame.detail || "Something went wrong.");
  }

  function markFailed(clientId, item) {
    pending.delete(clientId);
    item.el.classList.add("chat-msg-failed");
    item.el.classList.remove("chat-msg-pending");
    updateTurns();
  }

  function offerRetry(clientId, item) {
    failed.set(clientId, item);
    if (item.el.querySelector(".chat-retry")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-secondary chat-retry";
    button.textContent = "Retry";
    button.addEventListener("click", function () {
      if (status !== "active") return;
      button.remove();
      failed.delete(clientId);
      item.el.classList.remove("chat-msg-failed");
      item.el.classList.add("chat-msg-pending");
      pending.set(clientId, item);
      updateTurns();
      showAlert("");
      // Offline: it stays pending and goes out with the next `history`.
      send({ type: "agent.message", content: item.content, client_id: clientId });
    });
    item.el.appendChild(button);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "history": onHistory(frame); break;
      case "message":
        render(frame.message);
        if (frame.message && frame.message.role === "customer") setTyping(false);
        break;
      case "customer.typing": setTyping(true); break;
      case "customer.delta": streamInto(frame.message_id, frame.delta || ""); break;
      case "customer.done": render(frame.message); setTyping(false); setMood(frame.mood); break;
      case "customer.cancelled": dropStream(frame.message_id); break;
      case "session.status": setMood(frame.mood); setStatus(frame.status, frame.outcome); break;
      case "hint": onHint(frame); break;
      case "error": onError(frame); break;
      default: break;
    }
  }

  function stopHeartbeat() {
    clearInterval(heartbeatTimer);
    clearTimeout(silenceTimer);
    heartbeatTimer = null;
    silenceTimer = null;
  }

  // Any frame proves the socket alive; silence after a ping proves it dead.
  function heard() {
    clearTimeout(silenceTimer);
    silenceTimer = null;
  }

  function ping(ws) {
    if (ws !== socket || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "ping" }));
    if (!silenceTimer) {
      const patience = typing.hidden ? HEARTBEAT_TIMEOUT_MS : HEARTBEAT_BUSY_TIMEOUT_MS;
      silenceTimer = setTimeout(function () { abandon(ws, "Reconnecting…"); }, patience);
    }
  }

  function startHeartbeat(ws) {
    stopHeartbeat();
    heartbeatTimer = setInterval(function () { ping(ws); }, HEARTBEAT_MS);
  }

  function scheduleReconnect() {
    if (stopped) return;
    clearTimeout(reconnectTimer);
    retry = Math.min(retry + 1, 6);
    const delay = Math.round(500 * Math.pow(2, retry) * (0.75 + Math.random() / 2));
    reconnectTimer = setTimeout(connect, delay);
  }

  // Give up on `ws` at once and go through the reconnect path: a dead socket's own close
  // event may take a minute to come, and anything unacknowledged is resent after `history`.
  function abandon(ws, label) {
    if (ws !== socket) return;
    socket = null;
    stopHeartbeat();
    try { ws.close(); } catch (e) { /* already closing */ }
    setConnection(navigator.onLine === false ? "offline" : "connecting", navigator.onLine === false ? "Offline" : label);
    scheduleReconnect();
  }

  function connect() {
    if (stopped) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    if (navigator.onLine === false) setConnection("offline", "Offline");
    else setConnection("connecting", retry ? "Reconnecting…" : "Connecting…");
    const ws = new WebSocket(scheme + location.host + cfg.wsPath);
    socket = ws;
    ws.addEventListener("open", function () {
      if (ws !== socket) return;
      retry = 0;
      setConnection("online", "Connected");
      startHeartbeat(ws);
    });
    ws.addEventListener("message", function (event) {
      if (ws !== socket) return;
      heard();
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === "object") onFrame(frame);
    });
    ws.addEventListener("close", function (event) {
      if (ws !== socket) return; // already abandoned; its replacement is on its way
      socket = null;
      stopHeartbeat();
      if (event.code === 4401) {
        stopped = true;
        setConnection("offline", "Signed out");
        showAlert("You have been signed out. Log in again to continue this session.");
        return;
      }
      if (event.code === 4404) {
        stopped = true;
        setConnection("offline", "Not available");
        showAlert("This session is not available.");
        return;
      }
      if (stopped) { setConnection("offline", "Closed"); return; }
      setConnection("offline", navigator.onLine === false ? "Offline" : "Offline — reconnecting");
      scheduleReconnect();
    });
  }

  // The browser knows about the network before the socket does: say so, and come back at once.
  window.addEventListener("offline", function () {
    if (stopped) return;
    setConnection("offline", "Offline");
    if (socket) abandon(socket, "Offline");
  });
  window.addEventListener("online", function () {
    if (stopped) return;
    if (socket && socket.readyState === WebSocket.OPEN) { ping(socket); return; }
    if (socket && socket.readyState === WebSocket.CONNECTING) return;
    retry = 0;
    connect();
  });

  // ---- narrow screens: chat, ticket and knowledge base as tabs -------------------------------
  // Wide screens show all three side by side and hide the tab list; narrow ones show one panel
  // at a time, the conversation first, so the reply box is never below the ticket.
  const panels = (function () {
    const tablist = document.getElementById("chat-tabs");
    const side = document.querySelector(".chat-side");
    const narrow = window.matchMedia("(max-width: 860px)");
    const tabs = tablist ? Array.from(tablist.querySelectorAll('[role="tab"]')) : [];
    const names = ["chat", "ticket", "kb"];
    const areas = tabs.map(function (tab) { return document.getElementById(tab.getAttribute("aria-controls")); });
    const unread = tablist ? tablist.querySelector(".chat-tab-unread") : null;
    let selected = 0;

    function apply() {
      if (!tablist || areas.some(function (area) { return !area; })) return;
      const tabbed = narrow.matches;
      tablist.hidden = !tabbed;
      tabs.forEach(function (tab, index) {
        const on = index === selected;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        const area = areas[index];
        area.hidden = tabbed && !on;
        if (tabbed) area.setAttribute("role", "tabpanel");
        else area.removeAttribute("role");
      });
      side.hidden = tabbed && selected === 0;
      if (!tabbed || selected === 0) {
        if (unread) unread.hidden = true;
        scrollDown();
      }
    }

    function select(index, focusTab) {
      selected = (index + tabs.length) % tabs.length;
      apply();
      if (focusTab) tabs[selected].focus();
    }

    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { select(index, false); });
      tab.addEventListener("keydown", function (event) {
        let next = null;
        if (event.key === "ArrowRight") next = index + 1;
        else if (event.key === "ArrowLeft") next = index - 1;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next === null) return;
        event.preventDefault();
        select(next, true);
      });
    });
    if (narrow.addEventListener) narrow.addEventListener("change", apply);
    apply();

    return {
      active: function () { return narrow.matches ? names[selected] : "chat"; },
      show: function (name) { if (narrow.matches && names[selected] !== name) select(names.indexOf(name), false); },
      markUnread: function () { if (unread) unread.hidden = false; },
    };
  })();

  // ---- composing ----------------------------------------------------------------------------
  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function updateCounter() {
    const length = input.value.length;
    counter.textContent = length + "/" + maxChars;
    counter.classList.toggle("chat-counter-over", length > maxChars);
  }

  function submit() {
    const content = input.value;
    if (!content.trim() || status !== "active") return;
    if (content.length > maxChars) { showAlert("Messages are limited to " + maxChars + " characters."); return; }
    showAlert("");
    const clientId = newClientId();
    const li = messageElement("agent");
    li.classList.add("chat-msg-pending");
    li.dataset.clientId = clientId;
    textOf(li).textContent = content;
    transcript.appendChild(li);
    pending.set(clientId, { content: content, el: li });
    hintActedOn();
    input.value = "";
    updateCounter();
    updateTurns();
    scrollDown();
    // Offline: it stays pending and goes out with the next `history`.
    send({ type: "agent.message", content: content, client_id: clientId });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  input.addEventListener("input", updateCounter);
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    const sends = enterSends ? !event.shiftKey : (event.ctrlKey || event.metaKey);
    if (sends) { event.preventDefault(); submit(); }
  });
  updateCounter();

  // ---- knowledge base filter ------------------------------------------------------------------
  const kbSearch = document.getElementById("kb-search");
  const kbEmpty = document.getElementById("kb-empty");
  if (kbSearch) {
    kbSearch.addEventListener("input", function () {
      const terms = kbSearch.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      document.querySelectorAll("[data-kb-entry]").forEach(function (entry) {
        const title = entry.querySelector("summary");
        const body = entry.querySelector("[data-kb-body]");
        const text = ((title ? title.textContent : "") + " " + (body ? body.textContent : "")).toLowerCase();
        const match = terms.every(function (term) { return text.includes(term); });
        entry.hidden = !match;
        if (match) shown += 1;
      });
      kbEmpty.hidden = shown > 0;
    });
  }

  // ---- knowledge base: insert an article into the reply ----------------------------------------
  function insertIntoReply(text) {
    if (input.disabled || !text) return;
    panels.show("chat"); // on a phone the article is on its own tab: back to the reply box
    const start = input.selectionStart == null ? input.value.length : input.selectionStart;
    const end = input.selectionEnd == null ? start : input.selectionEnd;
    const before = input.value.slice(0, start);
    const after = input.value.slice(end);
    // Keep words apart from what is already typed on either side.
    const lead = before && !/\s$/.test(before) ? " " : "";
    const trail = after && !/^\s/.test(after) ? " " : "";
    input.setRangeText(lead + text + trail, start, end, "end");
    updateCounter();
    input.focus();
  }

  document.querySelectorAll("[data-kb-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      const entry = button.closest("[data-kb-entry]");
      const body = entry ? entry.querySelector("[data-kb-body]") : null;
      insertIntoReply(body ? body.textContent.trim() : "");
    });
  });

  // ---- timer ------------------------------------------------------------------------------
  const startedAt = Date.parse(cfg.startedAt);
  const estimateSeconds = (parseInt(cfg.estimatedMinutes, 10) || 10) * 60;
  function tick() {
    if (isNaN(startedAt)) return;
    const seconds = Math.max(0, Math.floor((Date.now() - startedAt) / 1000));
    timer.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    timer.parentElement.classList.toggle("chat-timer-over", seconds > estimateSeconds);
  }
  tick();
  setInterval(tick, 1000);

  // ---- ending --------------------------------------------------------------------------------
  function endSession() {
    if (send({ type: "session.end" })) return;
    const token = root.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(cfg.completeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "Content-Type": "application/json" },
    }).then(function (response) {
      if (response.ok) setStatus("scoring", "");
      else showAlert("Could not end the session. Check your connection and try again.");
    });
  }

  // A button that asks first: the dialog's "confirm" runs `onConfirm`; closing it any other
  // way runs `onCancel`. Browsers without <dialog> get window.confirm.
  function confirmFirst(button, dialog, question, onConfirm, onCancel) {
    if (!button) return;
    button.addEventListener("click", function () {
      if (dialog && typeof dialog.showModal === "function") {
        dialog.returnValue = "";
        dialog.showModal();
      } else if (window.confirm(question)) {
        onConfirm();
      }
    });
    if (dialog) {
      dialog.addEventListener("close", function () {
        if (dialog.returnValue === "confirm") onConfirm();
        else onCancel();
      });
    }
  }

  confirmFirst(endButton, endDialog, "End this session? It will be scored and you cannot send more messages.",
    endSession, function () { endButton.focus(); });

  // ---- hints -------------------------------------------------------------------------------
  // Opt-in and paid for: the dialog says what a hint costs before the trainee takes one.
  function setHintsLeft(left) {
    if (!hintButton || typeof left !== "number") return;
    hintButton.dataset.hintsLeft = String(left);
    document.getElementById("chat-hints-left").textContent = String(left);
    document.querySelectorAll("[data-hints-left-text]").forEach(function (el) { el.textContent = String(left); });
    hintButton.disabled = left <= 0 || status !== "active";
  }

  function showHint(hint, number) {
    if (!coach || !hint) return;
    document.getElementById("chat-coach-text").textContent = hint.text;
    document.getElementById("chat-coach-count").textContent = String(number);
    coach.classList.remove("chat-coach-acted");
    coach.hidden = false;
  }

  // Once the trainee has replied, the hint is about a moment that has passed: it fades, and
  // the next page load leaves it out (the report keeps every hint).
  function hintActedOn() {
    if (coach && !coach.hidden) coach.classList.add("chat-coach-acted");
  }

  if (coach) {
    document.getElementById("chat-coach-close").addEventListener("click", function () {
      coach.hidden = true;
      input.focus();
    });
  }

  function onHint(frame) {
    setHintsLeft(frame.hints_left);
    showHint(frame.hint, frame.hints_used);
    showAlert("");
    panels.show("chat");
  }

  function requestHint() {
    if (status !== "active") return;
    if (!send({ type: "hint.request" })) showAlert("Not connected: ask for the hint again once the chat has reconnected.");
  }

  confirmFirst(hintButton, hintDialog, "Get a hint? It takes part of the XP this session earns.",
    function () { requestHint(); input.focus(); }, function () { input.focus(); });

  // ---- focus -------------------------------------------------------------------------------
  // The reply box is where the trainee starts (not 14 Tab presses away, past End session).
  // Not on touch screens, where focusing it would open the on-screen keyboard over the chat.
  if (status === "active" && !window.matchMedia("(pointer: coarse)").matches &&
      (!document.activeElement || document.activeElement === document.body)) {
    input.focus({ preventScroll: true });
  }

  if (status === "active") connect();
})();
