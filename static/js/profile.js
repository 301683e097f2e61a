/* The profile: a trainee who has never chosen a time zone (still the default, UTC) gets their
   browser's own zone selected, with a note saying so; saving the form keeps it. The server
   marks that case with data-suggest-browser-zone and validates whatever is sent. */
(function () {
  "use strict";
  const select = document.querySelector("select[data-suggest-browser-zone]");
  if (!select || !window.Intl || !Intl.DateTimeFormat) return;

  // Names some browsers still report, and the current name the list offers instead.
  const ALIASES = {
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Louisville": "America/Kentucky/Louisville",
    "America/Godthab": "America/Nuuk",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Enderbury": "Pacific/Kanton",
  };

  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (err) {
    return;
  }
  const options = Array.from(select.options);
  const option = options.find((o) => o.value === zone) ||
    options.find((o) => o.value === ALIASES[zone]);
  if (!option || option.selected) return;
  option.selected = true;

  const note = document.createElement("small");
  note.className = "help";
  note.id = select.id + "-suggested";
  note.setAttribute("data-browser-zone-note", "");
  note.textContent = "Set to your browser's time zone, " + option.value.replace(/_/g, " ") +
    ". Save the profile to keep it.";
  select.insertAdjacentElement("afterend", note);
  const described = select.getAttribute("aria-describedby");
  select.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
})();
