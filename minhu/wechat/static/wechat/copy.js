// Copy the answer text into the clipboard for pasting into the WeChat group.
document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  const src = document.querySelector(btn.dataset.copy);
  if (!src) return;
  const done = () => {
    const note = document.querySelector("[data-copied]");
    if (note) note.hidden = false;
  };
  src.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(src.value).then(done, () => {
      document.execCommand("copy");
      done();
    });
  } else {
    document.execCommand("copy");
    done();
  }
});
