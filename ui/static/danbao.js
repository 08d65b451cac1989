/* Danbao: the little JavaScript the screens need (the Content-Security-Policy allows no inline
   scripts, so it all lives here). No business rule is written in JavaScript: the server's formula
   engine evaluates every rule and HTMX brings back the re-rendered fragment. */
(function () {
  "use strict";

  function alerts() { return document.getElementById("alerts"); }

  // A close button inside an alert removes the alert.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-dismiss=alert]");
    if (btn) {
      var box = btn.closest(".alert");
      if (box) { box.remove(); }
    }
  });

  // A new HTMX request clears the previous request's error alert — but not a poll (an element with
  // hx-trigger="every …", e.g. the committee's live tally): it would wipe an error every few seconds.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    if (elt && elt.getAttribute && /^\s*every\s/.test(elt.getAttribute("hx-trigger") || "")) { return; }
    var box = alerts();
    if (box) { box.replaceChildren(); }
  });

  // The server could not be reached at all: say so (the text comes from the page, translated).
  document.addEventListener("htmx:sendError", function () {
    var box = alerts();
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "alert error";
    p.setAttribute("role", "alert");
    p.textContent = box.getAttribute("data-offline") || "Network error";
    box.replaceChildren(p);
  });

  // Elements marked data-autosubmit submit their form when changed (e.g. a page-size select).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });

  // A record form (data-live-form) posts to the live route while the user types; it names the
  // input being typed in (_typing), which the answer then leaves alone (focus and caret stay).
  document.addEventListener("htmx:configRequest", function (ev) {
    var d = ev.detail, trigger = d.triggeringEvent;
    if (trigger && trigger.type === "input" && d.elt.hasAttribute("data-live-form") && trigger.target.name) {
      d.parameters["_typing"] = trigger.target.name;
    }
  });
}());
