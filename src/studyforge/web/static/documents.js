// Document pages: the library's upload box, and a confirmation before deleting.
// Files chosen in the input or dropped on the box each get a row: upload progress (XMLHttpRequest,
// because fetch() reports none), then "Processing…" while GET /document/<id> is polled with
// backoff, then "Ready" with a link, or the reason it failed and what to do next.
(function () {
  "use strict";

  var PARALLEL = 3; // files sent at once; the rest wait their turn
  var POLL_FIRST = 1000; // ms before the first look at a processing document
  var POLL_GROWTH = 1.5;
  var POLL_MAX = 10000;
  var REFRESH_DELAY = 250; // ms: several files finishing together refresh the list once
  var TYPES = "PDF, DOCX, PPTX, TXT, Markdown, HTML, PNG or JPEG";

  var form = document.getElementById("upload-form");
  var waiting = []; // rows not sent yet
  var sending = 0;
  var batch = null; // the rows added since the box was last idle, for the summary
  var refreshTimer = null;

  var kit = window.studyforge;
  var element = kit.element;
  var parse = kit.parse;
  var sentence = kit.sentence;
  var apiError = kit.apiError;

  function sizeText(bytes) {
    if (bytes < 1024) {
      return bytes + (bytes === 1 ? " byte" : " bytes");
    }
    var kb = bytes / 1024;
    var value = kb < 1024 ? kb : kb / 1024;
    return value.toFixed(1).replace(/\.0$/, "") + (kb < 1024 ? " KB" : " MB");
  }

  // What went wrong with an upload, in plain words, and what to do about it.
  function uploadProblem(status, error) {
    var byStatus = { 0: "OFFLINE", 401: "EXPIRED", 413: "FILE_TOO_LARGE", 415: "UNSUPPORTED_TYPE" };
    var code = byStatus[status] || error.code;
    var known = {
      OFFLINE: "The server could not be reached. Check your connection, then try again.",
      EXPIRED: "Your session has expired. Reload the page, sign in again, then add this file " +
        "again.",
      FILE_TOO_LARGE: "This file is larger than the " + sizeText(Number(form.dataset.maxBytes)) +
        " limit. Split or compress it, then upload the smaller files.",
      UNSUPPORTED_TYPE: "This type of file can't be read. Save it as " + TYPES + ", then " +
        "upload that.",
      EMPTY_FILE: "This file is empty. Check that you picked the right file.",
      INVALID_PATH: "The folder path can't be used (" + sentence(error.message) + "). Change " +
        "the folder path, then add this file again.",
      CSRF_REJECTED: "The upload was refused for safety. Reload the page, then try again.",
    };
    if (known[code]) {
      return known[code];
    }
    if (status >= 500) {
      return "The server could not store this file just now. Try again in a minute.";
    }
    var reason = error.message ? " (" + sentence(error.message) + ")" : "";
    return "The upload was refused" + reason + ". Check the file, then try again.";
  }

  function box() {
    return form.querySelector(".upload-box");
  }

  function newRow(file) {
    var head = element("div", "upload-item-head");
    var size = element("span", "upload-size", sizeText(file.size));
    head.append(element("span", "upload-name", file.name), size);
    var bar = element("progress");
    bar.max = 100;
    var percent = element("span", "progress-value");
    var cell = element("div", "progress-cell");
    cell.append(bar, percent);
    var status = element("p", "upload-item-status");
    var row = element("li", "upload-item");
    row.append(head, cell, status);
    document.getElementById("upload-list").appendChild(row);
    box().hidden = false;
    return { file: file, row: row, cell: cell, bar: bar, percent: percent, status: status };
  }

  // The row's bar: a percentage, null for "busy, no percentage" (processing), or hidden.
  function bar(item, value, label) {
    item.cell.hidden = value === undefined;
    if (value === null) {
      item.bar.removeAttribute("value");
      item.percent.textContent = "";
    } else if (value !== undefined) {
      item.bar.value = value;
      item.percent.textContent = value + "%";
    }
    item.bar.setAttribute("aria-label", (label || "Upload of") + " " + item.file.name);
  }

  function show(item, state, text, docId) {
    item.state = state;
    item.row.setAttribute("data-state", state);
    // Waiting and uploading are not read out (the summary and the bar tell); the rest is.
    var quiet = state === "queued" || state === "uploading";
    item.status.setAttribute("aria-live", quiet ? "off" : "polite");
    item.status.textContent = text;
    if (docId) {
      var link = element("a", "upload-open", "Open");
      link.href = "/library/" + encodeURIComponent(docId);
      link.appendChild(element("span", "visually-hidden", " " + item.file.name));
      item.status.append(" ", link);
    }
    if (state === "failed" && item.retry) {
      var again = element("button", "button button-ghost upload-retry", "Try again");
      again.type = "button";
      again.setAttribute("aria-label", "Try again: " + item.file.name);
      again.addEventListener("click", function () {
        queue(item);
        pump();
      });
      item.status.append(" ", again);
    }
    if (finished(item)) {
      bar(item, undefined);
      form.querySelector("#upload-clear").hidden = false;
      summarise();
    }
  }

  function announce(text, problem) {
    var status = document.getElementById("upload-status");
    status.classList.toggle("upload-error", Boolean(problem));
    status.textContent = text;
  }

  function finished(item) {
    return item.state === "ready" || item.state === "skipped" || item.state === "failed";
  }

  var SUMMARY = { ready: " ready", skipped: " already in your library", failed: " failed" };
  var ONE = { ready: " is ready.", skipped: " is already in your library.", failed: " failed." };

  // Once every file of the batch is done: one sentence for the whole lot.
  function summarise() {
    if (!batch || !batch.every(finished)) {
      return;
    }
    var count = { ready: 0, skipped: 0, failed: 0 };
    batch.forEach(function (item) {
      count[item.state] += 1;
    });
    var parts = Object.keys(SUMMARY).filter(function (state) {
      return count[state] > 0;
    }).map(function (state) {
      return count[state] + SUMMARY[state];
    });
    var text = batch.length === 1 ? batch[0].file.name + ONE[batch[0].state]
      : batch.length + " files done: " + parts.join(", ") + ".";
    if (count.failed) {
      text += " Each file's row says what went wrong and what to do.";
    }
    batch = null;
    announce(text, count.failed > 0);
  }

  // The live list (`_documents_list.html`) reloads itself on this event (htmx); without htmx
  // it stays as it was, and each row's own link leads to its document.
  function refreshList() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () {
      document.body.dispatchEvent(new CustomEvent("documents-changed"));
    }, REFRESH_DELAY);
  }

  function settle(item, doc, delay) {
    if (doc.status === "completed") {
      var count = doc.page_count;
      var pages = count ? " · " + count + (count === 1 ? " page" : " pages") : "";
      show(item, "ready", (item.note || "") + "Ready" + pages + ".", doc.document_id);
      refreshList();
    } else if (doc.status === "failed") {
      var why = sentence(doc.error) || "it could not be processed";
      show(item, "failed", "Could not process this file: " + why + ". Check that it opens on your " +
        "computer (or save it as PDF), then upload it again.");
      refreshList();
    } else {
      follow(item, delay);
    }
  }

  // Look at the document again after `delay` ms, then less and less often while it processes.
  function follow(item, delay) {
    var next = Math.min(POLL_MAX, Math.round(delay * POLL_GROWTH));
    window.setTimeout(function () {
      var url = "/document/" + encodeURIComponent(item.docId);
      var options = {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      };
      fetch(url, options).then(function (response) {
        if (response.status === 401) {
          show(item, "failed", "Your session has expired. Reload the page and sign in again: " +
            "the file was uploaded and is processing.");
        } else if (response.status === 404) {
          show(item, "failed", "This document was deleted before it was ready.");
        } else if (!response.ok) {
          follow(item, next); // a hiccup (a restart, a busy server): keep looking, less often
        } else {
          return response.json().then(function (doc) {
            settle(item, doc, next);
          });
        }
        return null;
      }).catch(function () {
        follow(item, next);
      });
    }, delay);
  }

  function uploaded(item, xhr) {
    var body = parse(xhr.responseText);
    item.retry = xhr.status === 0 || xhr.status >= 500;
    if (xhr.status === 200) {
      // `skip_duplicate`: the answer is the document already there; nothing was stored.
      show(item, "skipped", "Already in your library as " + (body.path || item.file.name) +
        " — skipped.", body.document_id);
    } else if (xhr.status === 202) {
      item.docId = body.document_id;
      item.note = body.duplicate_of ? "You already had this file as " + body.duplicate_path +
        "; uploaded again anyway. " : "";
      bar(item, null, "Processing");
      show(item, "processing", item.note + "Processing…");
      refreshList();
      settle(item, body, POLL_FIRST);
    } else {
      show(item, "failed", uploadProblem(xhr.status, apiError(body)));
    }
  }

  function send(item) {
    sending += 1;
    bar(item, 0);
    show(item, "uploading", "Uploading…");
    var data = new FormData();
    data.append("file", item.file, item.file.name);
    if (item.path) {
      data.append("path", item.path);
    }
    data.append("generate_notes", item.notes ? "true" : "false");
    data.append("skip_duplicate", item.skip ? "true" : "false");
    kit.upload(form.action, data, function (percent) {
      bar(item, percent);
    }, function (xhr) {
      sending -= 1;
      uploaded(item, xhr);
      pump();
    });
  }

  function pump() {
    while (sending < PARALLEL && waiting.length) {
      send(waiting.shift());
    }
  }

  function queue(item) {
    batch = batch || [];
    if (batch.indexOf(item) < 0) {
      batch.push(item);
    }
    bar(item, undefined);
    show(item, "queued", "Waiting…");
    waiting.push(item);
  }

  // One file: the path as typed ("…/" is a folder). Several: the folder they all go in.
  function pathFor(file, typed, several) {
    if (!typed) {
      return "";
    }
    return several || /\/$/.test(typed) ? typed.replace(/\/+$/, "") + "/" + file.name : typed;
  }

  function add(fileList) {
    var files = Array.prototype.slice.call(fileList || []);
    if (!files.length) {
      return;
    }
    var typed = form.querySelector("#upload-path").value.trim();
    var notes = form.querySelector("#upload-notes").checked;
    var skip = form.querySelector("#upload-skip").checked;
    var limit = Number(form.dataset.maxBytes) || Infinity;
    var items = files.map(function (file) {
      var item = newRow(file);
      item.path = pathFor(file, typed, files.length > 1);
      item.notes = notes;
      item.skip = skip;
      return item;
    });
    batch = (batch || []).concat(items); // all of them first: the summary waits for each
    var one = files.length === 1;
    announce("Uploading " + (one ? files[0].name : files.length + " files") + "…");
    items.forEach(function (item) {
      if (item.file.size > limit) {
        show(item, "failed", uploadProblem(413, {}));
      } else {
        queue(item);
      }
    });
    form.querySelector("#upload-path").value = "";
    pump();
  }

  function clearFinished() {
    var list = document.getElementById("upload-list");
    list.querySelectorAll('[data-state="ready"], [data-state="skipped"], [data-state="failed"]')
      .forEach(function (row) {
        row.remove();
      });
    form.querySelector("#upload-clear").hidden = true;
    box().hidden = !list.children.length;
    form.querySelector("#upload-file").focus();
  }

  function hasFiles(event) {
    var types = event.dataTransfer ? event.dataTransfer.types : [];
    return Array.prototype.indexOf.call(types || [], "Files") >= 0;
  }

  function dropZone(zone) {
    var depth = 0; // dragenter/dragleave also fire for the zone's children
    function lit(on) {
      zone.classList.toggle("is-dragover", on);
    }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        if (hasFiles(event)) {
          event.preventDefault(); // this is what lets the zone take the drop
          event.dataTransfer.dropEffect = "copy";
          depth += type === "dragenter" ? 1 : 0;
          lit(true);
        }
      });
    });
    zone.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      lit(depth > 0);
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      lit(false);
      add(event.dataTransfer && event.dataTransfer.files);
    });
    // A file dropped just beside the zone would make the browser open it and leave the page.
    ["dragover", "drop"].forEach(function (type) {
      document.addEventListener(type, function (event) {
        if (hasFiles(event) && !zone.contains(event.target)) {
          event.preventDefault();
          event.dataTransfer.dropEffect = "none";
        }
      });
    });
  }

  if (form) {
    dropZone(document.getElementById("upload-drop"));
    form.querySelector("#upload-clear").addEventListener("click", clearFinished);
  }

  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (target === form) {
      event.preventDefault();
      var input = form.querySelector("#upload-file");
      add(input.files);
      input.value = "";
    } else if (target.dataset.confirm && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
