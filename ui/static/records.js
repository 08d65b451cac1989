/* Record forms: keyboard glue only. No business rule lives here: computed values, visibility,
   requirements and errors all come from the server (HTMX round trips to the live route).
   - Enter in a link picker's search box does not submit (save) the form.
   - Alt+ArrowUp / Alt+ArrowDown in a child row moves the row (clicks its ↑ / ↓ button).
   - Ctrl+S (Cmd+S) saves the form.
   - A form with data-confirm asks before it is submitted (record deletion). */
(function () {
  "use strict";

  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (!el || !el.closest) { return; }
    if (ev.key === "Enter" && el.closest(".picker")) {
      ev.preventDefault();
      var first = el.closest(".picker").querySelector(".pick-list button");
      if (first) { first.focus(); }
      return;
    }
    if (ev.altKey && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
      var row = el.closest("tr[id^='row-']");
      if (!row) { return; }
      var btn = row.querySelector("button[id$='-" + (ev.key === "ArrowUp" ? "up" : "down") + "']");
      if (btn && !btn.disabled) { ev.preventDefault(); btn.click(); }
      return;
    }
    if ((ev.ctrlKey || ev.metaKey) && (ev.key === "s" || ev.key === "S")) {
      var form = document.getElementById("record-form");
      if (form) {
        ev.preventDefault();
        var save = document.getElementById("save");
        if (form.requestSubmit) { form.requestSubmit(save || undefined); } else { form.submit(); }
      }
    }
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { ev.preventDefault(); }
  });
}());
