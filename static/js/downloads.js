/* Feedback while a download is prepared.
 *
 * A link with data-busy-download (the CSV exports) is fetched in the page instead of followed: while the server
 * prepares the file the link reads "Preparing…", is marked disabled (a second click does nothing) and a <progress>
 * bar with the amount received so far sits beside it; when the answer is complete the file is saved under the
 * name the server gave and the link comes back. Without JavaScript or fetch, or when the fetch fails, the link is
 * followed as a plain link.
 */
(function () {
  "use strict";
  if (!window.fetch || !window.URL || !window.URL.createObjectURL || !window.Blob) { return; }

  function nameOf(response, href) {
    var match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : href.split("?")[0].split("/").pop() || "download";
  }

  function size(bytes) {
    return bytes < 1024 ? interpolate(gettext("%(count)s bytes"), {count: bytes}, true) : bytes < 1048576 ? Math.round(bytes / 1024) + " KB"
      : (bytes / 1048576).toFixed(1) + " MB";
  }

  function save(blob, name) {
    var url = window.URL.createObjectURL(blob);
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = name;
    anchor.hidden = true;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    window.setTimeout(function () { window.URL.revokeObjectURL(url); }, 10000);
  }

  function read(response, progress, note) {
    var total = Number(response.headers.get("Content-Length")) || 0;
    if (total) { progress.max = total; progress.value = 0; }
    var type = response.headers.get("Content-Type") || "application/octet-stream";
    if (!response.body || !response.body.getReader) { return response.blob(); }
    var reader = response.body.getReader();
    var chunks = [];
    var received = 0;
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) { return new Blob(chunks, {type: type}); }
        chunks.push(step.value);
        received += step.value.length;
        if (total) { progress.value = received; }
        note.textContent = interpolate(gettext("Preparing your download… %(size)s received"), {size: size(received)}, true);
        return pump();
      });
    }
    return pump();
  }

  function start(link) {
    var label = link.textContent;
    link.dataset.busy = "true";
    link.setAttribute("aria-disabled", "true");
    link.setAttribute("aria-busy", "true");
    link.textContent = gettext("Preparing…");
    var status = document.createElement("span");
    status.className = "download-progress";
    status.setAttribute("role", "status");
    var progress = document.createElement("progress");  // no value: moving until the size is known
    progress.setAttribute("aria-label", gettext("Download progress"));
    var note = document.createElement("span");
    note.textContent = gettext("Preparing your download…");
    status.appendChild(progress);
    status.appendChild(note);
    link.insertAdjacentElement("afterend", status);

    function idle() {
      link.textContent = label;
      link.removeAttribute("aria-disabled");
      link.removeAttribute("aria-busy");
      delete link.dataset.busy;
      status.remove();
    }

    fetch(link.href, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error("download answered " + response.status); }
      return read(response, progress, note).then(function (blob) { save(blob, nameOf(response, link.href)); });
    }).then(idle, function () {
      idle();
      window.location.assign(link.href);  // the plain link: the browser shows what the server answered
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-busy-download]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    event.preventDefault();
    if (!link.dataset.busy) { start(link); }
  });
}());
