/* Feedback while a form is sent.
 *
 * A submit button with data-busy-label is disabled and shows that label ("Paying…") while its form is sent, so
 * a payment cannot be sent twice by a second click. A form with data-upload-progress that has a file chosen is
 * sent with XMLHttpRequest and shows a <progress> bar of the upload; the answer then replaces the page as a plain
 * post would. Without JavaScript, or where XMLHttpRequest fails, the form is posted as usual.
 */
(function () {
  "use strict";
  var nonce = (document.currentScript && document.currentScript.nonce) || "";

  function busy(form, button) {
    if (!button || !button.dataset.busyLabel) { return; }
    form.setAttribute("aria-busy", "true");
    button.dataset.idleLabel = button.textContent;
    // After the submit event: the form's data is collected before the button is disabled.
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = button.dataset.busyLabel;
    }, 0);
  }

  function idle(form) {
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button[data-idle-label]").forEach(function (button) {
      button.disabled = false;
      button.textContent = button.dataset.idleLabel;
    });
  }

  function hasFile(form) {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
  }

  function show(html, url) {
    // The answer is a whole page: it replaces this one, its scripts allowed by this page's nonce.
    if (nonce) { html = html.replace(/nonce="[^"]*"/g, 'nonce="' + nonce + '"'); }
    window.history.replaceState(null, "", url);
    document.open();
    document.write(html);
    document.close();
  }

  function upload(form, button) {
    var bar = document.createElement("div");
    bar.className = "upload-progress";
    bar.setAttribute("role", "status");
    var label = document.createElement("span");
    label.textContent = interpolate(gettext("Uploading… %(percent)s"), {percent: "0%"}, true);
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", gettext("Upload progress"));
    bar.appendChild(progress);
    bar.appendChild(label);
    (button || form.lastElementChild).insertAdjacentElement("afterend", bar);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var percent = Math.round((event.loaded / event.total) * 100);
      progress.value = percent;
      label.textContent = interpolate(gettext("Uploading… %(percent)s"), {percent: percent + "%"}, true);
    });
    xhr.upload.addEventListener("load", function () {
      progress.value = 100;
      label.textContent = gettext("Uploaded: saving…");
    });
    xhr.addEventListener("load", function () {
      progress.value = 100;
      var url = xhr.responseURL || form.action;
      show(xhr.responseText, url);
    });
    xhr.addEventListener("error", function () {
      bar.remove();
      idle(form);
      form.submit();  // the plain post
    });
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) { return; }
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (form.hasAttribute("data-upload-progress") && window.FormData && hasFile(form)) {
      event.preventDefault();
      busy(form, button);
      upload(form, button);
      return;
    }
    busy(form, button);
  });

  // Back to a page kept in the browser's cache: its buttons are usable again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.querySelectorAll("form[aria-busy]").forEach(idle); }
  });
})();
