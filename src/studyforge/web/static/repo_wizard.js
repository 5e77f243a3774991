// The repository wizard (repo_wizard.html). While a stage runs, its job's events move the
// progress bar and the step text in place; when the job ends, the page's live part is fetched
// again and swapped in, so the next step's form appears without a reload. Also: checking a
// folder checks its subfolders (a folder includes them), and starting over asks first when
// choices would be lost. Without JavaScript the page refreshes itself while a stage runs.
(function () {
  "use strict";
  var UPDATES = ["job.queued", "job.started", "job.progress", "job.retrying", "job.requeued"];
  var ENDS = ["job.succeeded", "job.failed", "job.cancelled"];
  var source = null;
  var ended = {}; // event streams whose job has ended (never followed again)

  function live() { return document.getElementById("wizard-live"); }

  function snapshot(event) {
    try { return JSON.parse(event.data).data || {}; } catch (err) { return {}; }
  }

  function show(job) {
    var region = live();
    if (!region) return;
    var bar = region.querySelector("[data-progress]");
    var value = region.querySelector("[data-progress-value]");
    var step = region.querySelector("[data-current-step]");
    if (typeof job.progress === "number") {
      if (bar) { bar.value = job.progress; bar.textContent = job.progress + "%"; }
      if (value) value.textContent = job.progress + "%";
    }
    var text = job.current_step;
    if (job.status === "QUEUED" && job.attempts > 0 && job.error) {
      text = "Trying again after a problem: " + job.error;
    }
    if (step && text && step.textContent !== text) step.textContent = text;
  }

  function swap(region, html, hadFocus) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("wizard-live");
    if (!fresh) { window.location.reload(); return; }
    region.replaceWith(fresh);
    follow();
    var heading = fresh.querySelector("#step-title");
    if (heading && hadFocus) heading.focus({ preventScroll: true });
  }

  function refresh() {
    var region = live();
    if (!region) return;
    var active = document.activeElement;
    var hadFocus = !active || active === document.body || region.contains(active);
    var headers = { "HX-Request": "true", "HX-Current-URL": window.location.href };
    fetch(region.dataset.live, { headers: headers, credentials: "same-origin" })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { window.location.assign(redirect); return null; }
        if (response.headers.get("HX-Refresh") || !response.ok) { window.location.reload(); return null; }
        return response.text();
      })
      .then(function (html) { if (html !== null) swap(region, html, hadFocus); })
      .catch(function () { window.setTimeout(refresh, 3000); });
  }

  function follow() {
    if (source) { source.close(); source = null; }
    var region = live();
    var running = region && region.querySelector("[data-events]");
    if (!running || !window.EventSource) return;
    var url = running.dataset.events;
    if (ended[url]) { window.setTimeout(refresh, 2000); return; } // ended, page not caught up
    var stream = new EventSource(url);
    source = stream;
    UPDATES.forEach(function (type) {
      stream.addEventListener(type, function (event) { show(snapshot(event)); });
    });
    ENDS.forEach(function (type) {
      stream.addEventListener(type, function (event) {
        ended[url] = true;
        stream.close();
        if (source === stream) source = null;
        show(snapshot(event));
        refresh();
      });
    });
    stream.onerror = function () {
      // Refused (signed out, gone): the browser gives up, so look at the page's state instead.
      if (stream.readyState === EventSource.CLOSED && source === stream) {
        source = null;
        window.setTimeout(refresh, 2000);
      }
    };
  }

  function inside(path, folder) {
    return path !== folder && (folder === "." || path.indexOf(folder + "/") === 0);
  }

  // A folder includes its subfolders: checking it checks them; unchecking it unchecks them,
  // and the folders above it, which no longer take everything below them.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-folder")) return;
    var tree = box.closest("[data-folder-tree]");
    if (!tree) return;
    var path = box.getAttribute("data-folder");
    tree.querySelectorAll("[data-folder]").forEach(function (other) {
      var each = other.getAttribute("data-folder");
      if (inside(each, path)) other.checked = box.checked;
      else if (!box.checked && inside(path, each)) other.checked = false;
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  window.addEventListener("pageshow", function (event) { if (event.persisted) refresh(); });
  follow();
})();
