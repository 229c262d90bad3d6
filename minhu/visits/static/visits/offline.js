/* Visit form that keeps working without network.
 *
 * Every visit gets a client-generated UUID (client_id) before anything is sent. Submitting puts
 * the visit (fields and photos, photos shrunk to JPEG data URLs) into a queue in localStorage and
 * then tries to upload the queue. A visit leaves the queue only when the server has answered it:
 * 201/200 (created, or already there: the server keeps one row per client_id, so a retry never
 * makes a second one) or a validation error (shown at the form, to be fixed and sent again).
 * A network failure leaves it queued; the queue is retried when the browser comes back online,
 * on every visit page load and every 20 seconds. The page shows what is still waiting. */
(function () {
  "use strict";
  var KEY = "minhu.visits.queue";
  var MAX_SIDE = 1600;
  var busy = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function store(q) { localStorage.setItem(KEY, JSON.stringify(q)); render(); }

  function render() {
    var box = document.getElementById("queue-status");
    if (!box) return;
    var q = load();
    if (!q.length) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    box.innerHTML = "";
    var head = document.createElement("b");
    head.textContent = q.length + " 条走访记录待上传" + (navigator.onLine ? "（正在上传）" : "（离线，联网后自动上传）");
    box.appendChild(head);
    var ul = document.createElement("ul");
    q.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.label + (item.error ? " — " + item.error : "");
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function shrink(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () {
        var s = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var c = document.createElement("canvas");
        c.width = Math.round(img.naturalWidth * s); c.height = Math.round(img.naturalHeight * s);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(url);
        resolve(c.toDataURL("image/jpeg", 0.82));
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("图片无法读取")); };
      img.src = url;
    });
  }

  function toBlob(dataUrl) {
    var parts = dataUrl.split(","), bin = atob(parts[1]), arr = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
    return new Blob([arr], { type: parts[0].split(":")[1].split(";")[0] });
  }

  async function capture(form) {
    var fields = [], files = [];
    var jobs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files, function (f, i) {
          jobs.push(shrink(f).then(function (d) { files.push([el.name, d, "photo" + i + ".jpg"]); }));
        });
      } else if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
        return;
      } else {
        fields.push([el.name, el.value]);
      }
    });
    await Promise.all(jobs);
    return { fields: fields, files: files };
  }

  async function send(item) {
    var fd = new FormData();
    item.fields.forEach(function (f) { fd.append(f[0], f[1]); });
    item.files.forEach(function (f) { fd.append(f[0], toBlob(f[1]), f[2]); });
    var csrf = (item.fields.find(function (f) { return f[0] === "csrfmiddlewaretoken"; }) || [])[1];
    var resp = await fetch(item.url, {
      method: "POST", body: fd, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf || "" },
    });
    var body = {};
    try { body = await resp.json(); } catch (e) { /* not JSON: a proxy's page */ }
    return { status: resp.status, body: body };
  }

  // Upload the queue in order. Returns the outcome of `watch` (a client_id) if it was sent.
  async function flush(watch) {
    if (busy) return null;
    busy = true;
    var seen = null;
    try {
      var q = load();
      for (var i = 0; i < q.length; i++) {
        var item = q[i], r;
        try { r = await send(item); } catch (e) { break; }  // network down: keep the rest
        if (r.status >= 500 || r.status === 0 || r.status === 429) break;
        var rest = load().filter(function (x) { return x.id !== item.id; });
        if (r.status >= 400) {
          if (item.id === watch) { store(rest); seen = r; continue; }
          item.error = (r.body.error && r.body.error.message) || ("错误 " + r.status);
          rest.push(item); store(rest); continue;
        }
        store(rest);
        if (item.id === watch) seen = r;
      }
    } finally { busy = false; render(); }
    return seen;
  }

  function freshIds(form) {
    form.elements.client_id.value = uuid();
  }

  function showError(form, msg) {
    var p = document.getElementById("visit-error");
    if (!p) {
      p = document.createElement("p"); p.id = "visit-error"; p.className = "flash err"; p.setAttribute("role", "alert");
      form.parentNode.insertBefore(p, form);
    }
    p.textContent = msg;
  }

  function setup(form) {
    freshIds(form);
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var btn = document.getElementById("save-visit");
      btn.disabled = true;
      try {
        form.elements.visited_at.value = new Date().toISOString();
        var data;
        try { data = await capture(form); } catch (e) { showError(form, e.message); return; }
        var head = document.querySelector(".hh-card b");
        var item = {
          id: form.elements.client_id.value, url: form.action || location.href,
          fields: data.fields, files: data.files,
          label: (head ? head.textContent : "") + " " + new Date().toLocaleString(),
        };
        var q = load(); q.push(item);
        try { store(q); } catch (e) { showError(form, "手机存储空间不足，请减少照片后重试"); return; }
        var r = await flush(item.id);
        if (r && r.status < 400) { location.href = form.dataset.list + "?done=" + r.body.visit; return; }
        if (r) { showError(form, (r.body.error && r.body.error.message) || "保存失败"); return; }
        // Not sent: it waits in the queue. The form is ready for the next household.
        form.reset(); freshIds(form);
        showError(form, "已离线保存，联网后自动上传");
      } finally { btn.disabled = false; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var sw = document.body.dataset.visitsSw;
    if (sw && "serviceWorker" in navigator) {
      navigator.serviceWorker.register(sw, { scope: "/visits/" }).catch(function () {});
    }
    var form = document.getElementById("visit-form");
    if (form) setup(form);
    render();
    flush();
    window.addEventListener("online", function () { render(); flush(); });
    window.addEventListener("offline", render);
    setInterval(function () { if (load().length) flush(); }, 20000);
  });
})();
