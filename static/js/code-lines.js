// The admin's structured-text fields (textarea[data-code-editor], scenarios/forms.py): a
// line-number gutter beside the text, the lines the server's errors name marked in it, and
// the caret's line and column under it, so that "line 12, column 5" can be found. Without
// this script the textarea works the same, and the errors still name their lines.
(function () {
  "use strict";

  function errorLines(area) {
    return new Set((area.dataset.errorLines || "").split(/\s+/).filter(Boolean).map(Number));
  }

  function enhance(area) {
    const frame = document.createElement("div");
    frame.className = "code-editor-frame";
    const editor = document.createElement("div");
    editor.className = "code-editor";
    const gutter = document.createElement("div");
    gutter.className = "code-gutter";
    gutter.setAttribute("aria-hidden", "true");
    const status = document.createElement("div");
    status.className = "code-status";
    area.parentNode.insertBefore(frame, area);
    editor.append(gutter, area);
    frame.append(editor, status);

    let marked = errorLines(area);
    let shown = -1;

    function render() {
      const count = area.value.split("\n").length;
      if (count === shown) return;
      shown = count;
      const numbers = document.createDocumentFragment();
      for (let line = 1; line <= count; line += 1) {
        const number = document.createElement("span");
        number.textContent = String(line);
        if (marked.has(line)) number.className = "is-error";
        numbers.append(number);
      }
      gutter.replaceChildren(numbers);
      sync();
    }

    function sync() {
      gutter.scrollTop = area.scrollTop;
    }

    function caret() {
      const before = area.value.slice(0, area.selectionStart);
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      status.textContent = "Line " + line + ", column " + column;
    }

    area.addEventListener("input", function () {
      if (marked.size) {
        // The marks name lines of the text as it was sent; after an edit they may not.
        marked = new Set();
        shown = -1;
      }
      render();
      caret();
    });
    area.addEventListener("scroll", sync);
    ["keyup", "click", "focus", "select"].forEach(function (name) {
      area.addEventListener(name, caret);
    });
    new ResizeObserver(sync).observe(area);
    render();
    if (marked.size) {
      const lines = Array.from(marked).sort(function (a, b) { return a - b; });
      status.textContent = (lines.length > 1 ? "Errors on lines " : "Error on line ") +
        lines.join(", ");
    }
  }

  function start() {
    document.querySelectorAll("textarea[data-code-editor]").forEach(enhance);
  }
  // The admin loads form media in the <head>, before the fields exist.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
