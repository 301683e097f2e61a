// Every page: live notifications (toasts, level-up) over /ws/notifications/.
(function () {
  "use strict";
  if (!document.body.dataset.authenticated) return;

  const toasts = document.getElementById("toasts");

  function toast(title, body, variant) {
    const el = document.createElement("div");
    el.className = "toast" + (variant ? " toast-" + variant : "");
    el.setAttribute("role", "status");
    const strong = document.createElement("strong");
    strong.textContent = title;
    const text = document.createElement("div");
    text.appendChild(strong);
    if (body) text.appendChild(document.createTextNode(body));
    el.appendChild(text);
    toasts.appendChild(el);
    setTimeout(() => el.remove(), 6000);
  }
  window.dojoToast = toast;

  function describe(event) {
    switch (event.type) {
      case "xp.awarded": return ["+" + event.amount + " XP", event.reason || ""];
      case "level.up": return ["Level " + event.level + "!", " You reached a new level.", "level"];
      case "achievement.unlocked":
        return [(event.icon || "🏅") + " " + event.name, " " + (event.description || "")];
      case "session.scored":
        return ["Session scored: " + event.score, event.passed ? " Passed." : " Not passed yet."];
      case "session.reviewed":
        return ["Your trainer reviewed a session", " Score: " + event.score + (event.passed ? ", passed." : ".")];
      case "assignment.new":
        return [
          "New assignment",
          " " + (event.titles || []).join(", ") + ", due " + new Date(event.due_at).toLocaleString() + ".",
        ];
      default: return null;
    }
  }

  // Level-up celebration: a card with sparks (CSS in gamification.css; reduced motion shows
  // the card without animation). Decorative: the toast already announces the level.
  function celebrate(level) {
    const overlay = document.createElement("div");
    overlay.className = "levelup";
    overlay.setAttribute("aria-hidden", "true");
    const card = document.createElement("div");
    card.className = "levelup-card";
    const title = document.createElement("strong");
    title.textContent = "Level " + level;
    const line = document.createElement("span");
    line.textContent = "Level up! Keep going.";
    card.append(title, line);
    for (let i = 0; i < 8; i++) {
      const spark = document.createElement("i");
      spark.className = "levelup-spark";
      overlay.appendChild(spark);
    }
    overlay.appendChild(card);
    document.body.appendChild(overlay);
    setTimeout(() => overlay.remove(), 3000);
  }
  window.dojoCelebrate = celebrate;

  // The dashboard's recent sessions: a session scored (or re-scored by a trainer) while the
  // page is open shows its score at once instead of "Active". Rows carry data-session-id; the
  // status part is a polite live region. Event data only ever reaches the page as text.
  function badge(text, extra, marker) {
    const el = document.createElement("span");
    el.className = "badge" + (extra ? " " + extra : "");
    el.setAttribute(marker, "");
    el.textContent = text;
    return el;
  }

  function updateSessionRow(event) {
    if (typeof event.session_id !== "string" || !/^[0-9a-f-]{36}$/i.test(event.session_id)) return;
    const score = Number(event.score);
    if (event.score === null || !Number.isFinite(score)) return;
    const row = document.querySelector('[data-session-id="' + event.session_id + '"]');
    if (!row) return;
    const passed = event.passed === true;
    row.setAttribute("data-session-status", "scored");
    const state = row.querySelector("[data-session-state]");
    if (state) {
      const parts = [badge(
        Math.round(score) + (passed ? " · passed" : " · not passed"),
        passed ? "badge-pass" : "badge-fail",
        "data-session-score",
      )];
      const xp = Number(event.xp_awarded);
      const earlier = state.querySelector("[data-session-xp]");
      if (typeof event.xp_awarded === "number" && xp > 0) {
        parts.push(badge("+" + Math.round(xp) + " XP", "", "data-session-xp"));
      } else if (earlier && event.xp_awarded === undefined) {
        parts.push(earlier.cloneNode(true)); // a trainer's review changes the score, not the XP
      }
      const spaced = [];
      parts.forEach((part, i) => { if (i) spaced.push(document.createTextNode(" ")); spaced.push(part); });
      state.replaceChildren(...spaced);
    }
    const link = row.querySelector("[data-session-link]");
    if (!link) return;
    let action = row.querySelector("[data-session-action]");
    if (!action) {
      action = document.createElement("a");
      action.className = "small session-action";
      action.setAttribute("data-session-action", "");
      (row.querySelector(".session-meta") || row).appendChild(action);
    }
    action.href = link.getAttribute("href");
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " on " + link.textContent;
    action.replaceChildren(document.createTextNode("Report"), hidden);
  }

  let retry = 0;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/notifications/");
    socket.addEventListener("open", () => { retry = 0; });
    socket.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      document.dispatchEvent(new CustomEvent("dojo:notification", { detail: event }));
      if (event.type === "xp.awarded" && typeof event.total_xp === "number") {
        // The dashboard's level card follows along (100 XP per level, as on the server).
        document.querySelectorAll("[data-xp-bar]").forEach((bar) => { bar.value = event.total_xp % 100; });
        document.querySelectorAll("[data-xp-total]").forEach((el) => { el.textContent = String(event.total_xp); });
        document.querySelectorAll("[data-xp-next]").forEach((el) => { el.textContent = String(100 - (event.total_xp % 100)); });
      }
      if (event.type === "level.up") {
        document.querySelectorAll("[data-level-chip]").forEach((chip) => { chip.textContent = "Lv " + event.level; });
        document.querySelectorAll("[data-level-title]").forEach((el) => { el.textContent = "Level " + event.level; });
        celebrate(event.level);
      }
      if (event.type === "session.scored" || event.type === "session.reviewed") updateSessionRow(event);
      const text = describe(event);
      if (text) toast(text[0], text[1], text[2]);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    });
  }
  connect();
})();
