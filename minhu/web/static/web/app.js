/* Minhu staff desk: small progressive enhancements. Everything works without it. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // --- two-level category select --------------------------------------------------------
  function initCatsel(root) {
    $all("[data-catsel]", root).forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      var top = $("[data-cat-top]", box), sub = $("[data-cat-sub]", box);
      function filter() {
        var t = top.value;
        $all("optgroup", sub).forEach(function (g) {
          var show = !t || g.dataset.parent === t;
          g.hidden = !show;
          g.disabled = !show;
        });
        var opt = sub.selectedOptions[0];
        if (t && opt && opt.dataset.parent && opt.dataset.parent !== t) sub.value = "";
        if (t && !sub.value) {
          var first = $('optgroup[data-parent="' + t + '"] option', sub);
          if (first) sub.value = first.value;
        }
      }
      top.addEventListener("change", function () {
        var before = sub.value;
        filter();
        // the second level changed with the first: tell listeners (the dispatch catalogue)
        if (sub.value !== before) sub.dispatchEvent(new Event("change", { bubbles: true }));
      });
      sub.addEventListener("change", function () {
        var opt = sub.selectedOptions[0];
        if (opt && opt.dataset.parent && top.value !== opt.dataset.parent) { top.value = opt.dataset.parent; filter(); }
      });
      if (top.value) filter();
    });
  }

  // --- searchable select ------------------------------------------------------------------
  function initSsel(root) {
    $all("[data-ssel]", root).forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      var q = $("[data-ssel-q]", box), sel = $("select", box);
      q.addEventListener("input", function () {
        var term = q.value.trim().toLowerCase(), firstVisible = null;
        $all("option", sel).forEach(function (o) {
          var match = !term || !o.value || o.textContent.toLowerCase().indexOf(term) !== -1;
          o.hidden = !match;
          if (match && o.value && !firstVisible) firstVisible = o;
        });
        var cur = sel.selectedOptions[0];
        if (term && firstVisible && (!cur || cur.hidden || !cur.value)) {
          sel.value = firstVisible.value;
          sel.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      q.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); sel.focus(); } });
    });
  }

  // --- searchable checkbox list (multi-select) -----------------------------------------------
  function initSchk(root) {
    $all("[data-schk]", root).forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      var q = $("[data-schk-q]", box), count = $("[data-schk-count]", box);
      function recount() {
        var n = $all("input[type=checkbox]:checked", box).length;
        count.textContent = n ? (count.dataset.label || "") + " " + n : "";
      }
      q.addEventListener("input", function () {
        var term = q.value.trim().toLowerCase();
        $all(".schk-item", box).forEach(function (item) {
          var hit = !term || item.textContent.toLowerCase().indexOf(term) !== -1 || $("input", item).checked;
          item.classList.toggle("hidden", !hit);
        });
      });
      q.addEventListener("keydown", function (e) {
        if (e.key === "Enter") {
          e.preventDefault();
          var first = $all(".schk-item:not(.hidden) input:not(:checked)", box)[0];
          if (first) { first.checked = true; recount(); q.select(); }
        }
      });
      box.addEventListener("change", recount);
      recount();
    });
  }

  // --- fields shown only for some values of a radio group (long-term outcome, enterprise) ---
  function initShowWhen(root) {
    $all("form[data-switch]", root).forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      var name = form.dataset.switch;
      function apply() {
        var checked = $("input[name=" + name + "]:checked", form);
        var value = checked ? checked.value : "";
        $all("[data-show-when]", form).forEach(function (el) {
          el.classList.toggle("hidden", el.dataset.showWhen.split(" ").indexOf(value) === -1);
        });
      }
      form.addEventListener("change", apply);
      apply();
    });
  }

  function init(root) {
    initCatsel(root); initSsel(root); initSchk(root); initShowWhen(root);
  }

  // --- rows: click opens, j/k moves -----------------------------------------------------------
  function rowsOf(table) { return $all("tbody tr[data-href], tbody tr[data-panel-row]", table); }
  function currentTable() { return $("#queue") || $("table[data-keynav]") || $("table.rows"); }

  function select(row) {
    if (!row) return;
    $all("tr.sel", row.parentNode).forEach(function (r) { r.classList.remove("sel"); });
    row.classList.add("sel");
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("a, button, input, select, textarea, label, form")) return;
    var row = e.target.closest("tr[data-panel-row]");
    if (row) { select(row); return; } // htmx loads the panel
    row = e.target.closest("tr[data-href]");
    if (row) {
      if (e.ctrlKey || e.metaKey) window.open(row.dataset.href, "_blank");
      else window.location = row.dataset.href;
    }
  });

  document.addEventListener("click", function (e) {
    var next = e.target.closest("[data-next-row]");
    if (next) {
      var row = rowsOf(currentTable())[0];
      if (row) { select(row); row.click(); }
    }
    // Close open menus when clicking elsewhere.
    $all("details.usermenu[open], details.bell[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      var form = e.target.closest && e.target.closest("form");
      if (!form) form = $("#panel form.panel-form") || $("form.intake");
      if (form) {
        e.preventDefault();
        var primary = $("button.primary[type=submit]", form);
        form.requestSubmit(primary || undefined);
      }
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      var search = $("[data-global-search]");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    } else if (e.key === "j" || e.key === "k") {
      var table = currentTable();
      if (!table) return;
      var rows = rowsOf(table);
      if (!rows.length) return;
      var cur = rows.indexOf($("tr.sel", table));
      var idx = e.key === "j" ? Math.min(rows.length - 1, cur + 1) : Math.max(0, cur - 1);
      if (cur === -1) idx = 0;
      var done = $("[data-next-row]");
      if (done && e.key === "j") { idx = 0; }
      select(rows[idx]);
      if (rows[idx].hasAttribute("data-panel-row")) rows[idx].click();
    } else if (e.key === "Enter") {
      var sel = $("tr.sel[data-href]");
      if (sel) window.location = sel.dataset.href;
    }
  });

  // --- bulk actions: pick rows (the click does not open the row), select all, count ----------
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-bulk-pick]")) e.stopPropagation();
  }, true);
  function bulkBoxes() { return $all("input[name=ids][form=bulk]"); }
  function bulkRecount() {
    var count = $("[data-bulk-count]");
    if (!count) return;
    var n = bulkBoxes().filter(function (b) { return b.checked; }).length;
    count.textContent = count.textContent.replace(/\d+/, String(n));
    var all = $("[data-bulk-all]");
    if (all) all.checked = n > 0 && n === bulkBoxes().length;
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-bulk-all]")) {
      bulkBoxes().forEach(function (b) { b.checked = e.target.checked; });
    }
    if (e.target.matches && e.target.matches("[data-bulk-all], input[name=ids][form=bulk]")) bulkRecount();
  });

  // --- dispatch form: the catalogue's lead unit for the category now chosen -------------------
  // The hint reloads on "lead-inputs-changed" (an htmx trigger filter would need eval, which
  // the Content-Security-Policy forbids).
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.form && t.matches && t.matches("[data-cat-sub], select[name=grid]")) {
      t.form.dispatchEvent(new CustomEvent("lead-inputs-changed", { bubbles: true }));
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var box = e.detail && e.detail.target;
    if (!box || !box.hasAttribute || !box.hasAttribute("data-lead-hint")) return;
    var hint = $("[data-lead]", box), form = box.closest("form");
    if (!hint || !hint.dataset.lead || !form) return;
    var lead = $("select[name=lead_unit]", form);
    if (lead && lead.value !== hint.dataset.lead) {
      lead.value = hint.dataset.lead;
      lead.classList.add("changed");
    }
    var assist = (hint.dataset.assist || "").split(",").filter(Boolean);
    $all("input[type=checkbox][name=assist_units]", form).forEach(function (cb) {
      cb.checked = assist.indexOf(cb.value) !== -1;
    });
    $all("input[type=checkbox][name=assist_units]", form).slice(0, 1).forEach(function (cb) {
      cb.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // --- phone: a panel loaded below the list is scrolled into view -------------------------------
  var phone = window.matchMedia ? window.matchMedia("(max-width: 760px)") : { matches: false };
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (phone.matches && target && target.id === "panel") target.scrollIntoView({ block: "start" });
  });

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    if (window.htmx) window.htmx.onLoad(function (el) { init(el); });
  });
})();
