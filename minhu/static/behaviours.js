/* Declarative behaviours for every page. The Content-Security-Policy allows no inline script
   or style (no onclick="", no style=""), so templates say what they need in data attributes:
     form[data-autosubmit]    submits when one of its selects or dates changes
     [data-confirm="text"]    on a form or its submit button: asks before submitting
     [data-print]             prints the page when clicked
     [data-back]              goes back in history when clicked (the href is the fallback)
     [data-width="42"]        width: 42%       (bars)
     [data-heat="0.5"]        --heat: 0.5      (heat-map cells)
     [data-indent="32"]       padding-left: 32px (trees)
   Styles set here go through the CSSOM, which the policy allows. */
(function () {
  "use strict";

  function each(root, sel, fn) {
    if (root.matches && root.matches(sel)) fn(root);
    Array.prototype.forEach.call(root.querySelectorAll(sel), fn);
  }

  function number(value) {
    var n = parseFloat(value);
    return isFinite(n) ? n : 0;
  }

  function apply(root) {
    each(root, "[data-width]", function (el) {
      el.style.width = Math.max(0, Math.min(100, number(el.dataset.width))) + "%";
    });
    each(root, "[data-heat]", function (el) {
      el.style.setProperty("--heat", String(number(el.dataset.heat)));
    });
    each(root, "[data-indent]", function (el) {
      el.style.paddingLeft = number(el.dataset.indent) + "px";
    });
  }

  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (!form || !form.hasAttribute("data-autosubmit")) return;
    if (e.target.tagName === "SELECT" || e.target.type === "date") form.requestSubmit();
  });

  document.addEventListener("submit", function (e) {
    var asker = (e.submitter && e.submitter.closest("[data-confirm]")) || e.target;
    var text = asker.getAttribute && asker.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) {
      e.preventDefault();
      window.print();
    } else if (e.target.closest("[data-back]") && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("htmx:load", function (e) { apply(e.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  } else {
    apply(document);
  }
})();
