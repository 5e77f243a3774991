// Document pages: upload with a progress bar, and a confirmation before deleting.
// XMLHttpRequest is used because fetch() reports no upload progress.
(function () {
  "use strict";

  function errorMessage(xhr) {
    if (xhr.status === 401) {
      return "Your session has expired. Reload the page and sign in again.";
    }
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error) {
        return body.error;
      }
    } catch (ignored) {
      // Not JSON (a proxy's error page, for instance): fall through to the status text.
    }
    return "Upload failed (" + (xhr.status || "network error") + ").";
  }

  // 202: stored (maybe again: `duplicate_of`); 200: the same content was already there, skipped.
  function uploadedMessage(xhr, name) {
    var body = {};
    try {
      body = JSON.parse(xhr.responseText) || {};
    } catch (ignored) {
      // An empty or non-JSON body still means the upload was accepted.
    }
    var existing = body.duplicate_path || body.path;
    if (xhr.status === 200) {
      return "You already have this file as " + existing + " — skipped.";
    }
    if (body.duplicate_of) {
      return "Uploaded " + name + ". You already have this file as " + existing +
        " — uploaded again anyway. Processing…";
    }
    return "Uploaded " + name + ". Processing…";
  }

  var KEPT_STATUS = "studyforge.upload-status";

  function refreshList() {
    if (window.htmx) {
      document.body.dispatchEvent(new CustomEvent("documents-changed"));
    } else {
      // Without htmx the page reloads to show the new row: keep the message across the reload.
      var status = document.getElementById("upload-status");
      try {
        window.sessionStorage.setItem(KEPT_STATUS, status ? status.textContent : "");
      } catch (ignored) {
        // Storage may be disabled; the list still refreshes, only the message is lost.
      }
      window.location.reload();
    }
  }

  function restoreStatus() {
    var status = document.getElementById("upload-status");
    var text = null;
    try {
      text = window.sessionStorage.getItem(KEPT_STATUS);
      window.sessionStorage.removeItem(KEPT_STATUS);
    } catch (ignored) {
      return;
    }
    if (status && text) {
      status.textContent = text;
    }
  }

  function upload(form, event) {
    var file = form.querySelector('input[type="file"]');
    if (!file || !file.files.length) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector('button[type="submit"]');
    var bar = form.querySelector(".upload-progress");
    var progress = bar.querySelector("progress");
    var percent = bar.querySelector(".progress-value");
    var status = form.querySelector(".upload-status");
    var notes = form.querySelector('input[name="generate_notes"]');
    var data = new FormData(form);
    // An unchecked box is left out of the form data, which the API reads as its default (true).
    data.set("generate_notes", notes && notes.checked ? "true" : "false");
    if (!data.get("path")) {
      data.delete("path");
    }
    var name = file.files[0].name;

    function show(value) {
      progress.value = value;
      progress.textContent = value + "%";
      percent.textContent = value + "%";
    }

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        show(Math.round((100 * e.loaded) / e.total));
      }
    });
    xhr.addEventListener("load", function () {
      button.disabled = false;
      if (xhr.status === 202 || xhr.status === 200) {
        show(100);
        status.classList.remove("upload-error");
        status.textContent = uploadedMessage(xhr, name);
        form.reset();
        refreshList();
      } else {
        bar.hidden = true;
        status.classList.add("upload-error");
        status.textContent = errorMessage(xhr);
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      bar.hidden = true;
      status.classList.add("upload-error");
      status.textContent = "Upload failed: the server could not be reached.";
    });
    button.disabled = true;
    bar.hidden = false;
    show(0);
    status.classList.remove("upload-error");
    status.textContent = "Uploading " + name + "…";
    xhr.send(data);
  }

  restoreStatus();

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "upload-form") {
      upload(form, event);
    } else if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
