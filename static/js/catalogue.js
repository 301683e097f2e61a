/* The catalogue's filters: a <details> the server renders closed unless a filter is active, so
   that on a phone the first scenario is on the first screen. Wider screens have room for the
   one row of fields: open it there. Loaded without `defer` right after the element, so this
   runs before the cards below are painted and nothing jumps. */
(function () {
  "use strict";
  var filters = document.querySelector("details[data-filters]");
  if (!filters || filters.open || !window.matchMedia) return;
  if (window.matchMedia("(min-width: 641px)").matches) filters.open = true;
})();
