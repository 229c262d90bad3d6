/* Minhu H5: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, SHRINK_ABOVE = 1.5 * 1024 * 1024;

  // Copy the tracking code.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-copy]");
    if (!b) return;
    var text = b.getAttribute("data-copy");
    var done = function () { b.textContent = b.getAttribute("data-copied") || "OK"; b.classList.add("is-done"); };
    var fallback = function () {
      var t = document.createElement("textarea");
      t.value = text; t.setAttribute("readonly", ""); t.style.position = "fixed"; t.style.opacity = "0";
      document.body.appendChild(t); t.select();
      try { if (document.execCommand("copy")) done(); } catch (err) { /* user can long-press */ }
      document.body.removeChild(t);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  });

  // Named / anonymous: show the contact fields only when they are used.
  function syncIdentity() {
    var anon = document.querySelector("input[name=identity][value=anonymous]");
    if (!anon) return;
    document.querySelectorAll("[data-named]").forEach(function (el) { el.hidden = anon.checked; });
    document.querySelectorAll("[data-anonymous]").forEach(function (el) { el.hidden = !anon.checked; });
  }
  document.addEventListener("change", function (e) { if (e.target.name === "identity") syncIdentity(); });

  // One submit per form; undo when the page comes back from the history cache.
  var busy = 0, pending = null;
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
    if (busy > 0) { e.preventDefault(); pending = form; return; }  // photos still shrinking
    form.setAttribute("data-sent", "1");
    var btn = e.submitter || form.querySelector("button[type=submit]");
    if (btn) { btn.setAttribute("data-label", btn.textContent); btn.textContent = btn.getAttribute("data-busy-text") || btn.textContent;
      // Disabled after the form data is taken: a disabled submitter would lose its name=value.
      setTimeout(function () { btn.disabled = true; }, 0); }
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      var btn = form.querySelector("button[data-label]");
      if (btn && btn.getAttribute("data-label")) { btn.textContent = btn.getAttribute("data-label"); btn.disabled = false; }
    });
    syncIdentity();
  });

  // Photos: thumbnails, and big camera photos shrunk before upload (weak networks).
  function shrink(file) {
    return new Promise(function (resolve) {
      if (file.size < SHRINK_ABOVE || !/^image\/(jpeg|png|webp)$/.test(file.type) || !window.HTMLCanvasElement) return resolve(file);
      var img = new Image(), url = URL.createObjectURL(file);
      img.onload = function () {
        var k = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var c = document.createElement("canvas");
        c.width = Math.round(img.naturalWidth * k); c.height = Math.round(img.naturalHeight * k);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(url);
        c.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.82);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.hasAttribute || !input.hasAttribute("data-photos")) return;
    var grid = input.form && input.form.querySelector("[data-photo-preview]");
    var files = Array.prototype.slice.call(input.files || []);
    if (grid) {
      grid.innerHTML = "";
      files.forEach(function (f) {
        var img = document.createElement("img");
        img.alt = f.name; img.src = URL.createObjectURL(f);
        grid.appendChild(img);
      });
    }
    if (!files.some(function (f) { return f.size >= SHRINK_ABOVE; }) || typeof DataTransfer === "undefined") return;
    busy++;
    Promise.all(files.map(shrink)).then(function (out) {
      try { var dt = new DataTransfer(); out.forEach(function (f) { dt.items.add(f); }); input.files = dt.files; } catch (err) { /* keep originals */ }
    }).finally(function () {
      busy--;
      if (!busy && pending) { var f = pending; pending = null; if (f.requestSubmit) f.requestSubmit(); else f.submit(); }
    });
  });
})();
