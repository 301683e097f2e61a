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
      default: return null;
    }
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
      if (event.type === "level.up") {
        document.querySelectorAll("[data-level-chip]").forEach((chip) => { chip.textContent = "Lv " + event.level; });
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
