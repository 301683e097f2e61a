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
