// The project pages (web/projects.py). On /projects the form is posted to the API's POST /start
// and the run is followed with EventSource on GET /events/stream: each section_started adds a
// card in its "writing…" state, each section_completed fetches that section's HTML into it,
// run_completed shows the links to the teacher's view and the handouts, and error shows why.
// Everywhere: Print buttons, and a confirmation before a form with data-confirm is sent.
// Without JavaScript the form posts to /projects/new and the browser goes to the project's page.
(function () {
  "use strict";

  var live = document.getElementById("project-live");
  var form = document.getElementById("project-form");
  var source = null;
  var queue = Promise.resolve(); // the sections' HTML is put in place in the order they end

  function part(name) { return live.querySelector("[data-live-" + name + "]"); }

  function payload(event) {
    try { return JSON.parse(event.data) || {}; } catch (err) { return {}; }
  }

  function getHtml(url) {
    return fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      });
  }

  function say(text) { part("status").textContent = text; }

  function fail(text) {
    var box = part("error");
    box.textContent = text;
    box.hidden = false;
    say("Stopped");
  }

  function card(data) {
    var list = part("sections");
    var item = list.querySelector('[data-section-id="' + data.section_id + '"]');
    if (item) return item;
    item = document.createElement("li");
    item.className = "project-card";
    item.setAttribute("data-section-id", data.section_id);
    item.setAttribute("data-testid", "section-card");
    var heading = document.createElement("h3");
    heading.textContent = (data.index ? data.index + ". " : "") + (data.name || data.section_id);
    var state = document.createElement("p");
    state.className = "project-state";
    state.setAttribute("data-state-text", "");
    var body = document.createElement("div");
    body.setAttribute("data-card-body", "");
    item.appendChild(heading);
    item.appendChild(state);
    item.appendChild(body);
    list.appendChild(item);
    return item;
  }

  function setState(item, state, text) {
    item.setAttribute("data-state", state);
    item.querySelector("[data-state-text]").textContent = text;
  }

  function started(data) {
    var item = card(data);
    setState(item, "writing", "writing…");
    if (data.total) say("Writing section " + data.index + " of " + data.total + "…");
  }

  function completed(project, data) {
    var item = card(data);
    var url = "/projects/" + encodeURIComponent(project) + "/sections/" + encodeURIComponent(data.section_id);
    var fetched = getHtml(url);
    queue = queue.then(function () {
      return fetched.then(function (html) {
        item.querySelector("[data-card-body]").innerHTML = html;
        setState(item, "completed", "written");
      }).catch(function () {
        setState(item, "completed", "written (open the teacher's view to read it)");
      });
    });
  }

  function finished(project, data) {
    live.setAttribute("data-done", "true");
    queue = queue.then(function () { say("Done: " + (data.sections || 0) + " sections written"); });
    var done = part("done");
    queue = queue.then(function () { return show(done, project); });
    refreshList();
  }

  function show(done, project) {
    return getHtml("/projects/" + encodeURIComponent(project) + "/summary").then(function (html) {
      done.innerHTML = html;
      done.hidden = false;
    }).catch(function () { done.hidden = true; });
  }

  // Refreshes can overlap (one when a run starts, one when it ends): only the latest one's
  // answer is shown, so a slow earlier answer never puts a finished run back to "generating".
  var listAsked = 0;
  function refreshList() {
    var list = document.getElementById("projects-list");
    if (!list) return;
    var mine = ++listAsked;
    getHtml("/ui/projects").then(function (html) {
      if (mine !== listAsked) return;
      list = document.getElementById("projects-list");
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("projects-list");
      if (fresh) list.replaceWith(fresh);
    }).catch(function () { /* the list stays as it was */ });
  }

  function follow(run, project, title) {
    if (source) source.close();
    live.hidden = false;
    live.setAttribute("data-run", run);
    live.setAttribute("data-project", project);
    live.removeAttribute("data-done");
    if (title) part("title").textContent = title;
    part("sections").innerHTML = "";
    part("done").hidden = true;
    part("error").hidden = true;
    say("Waiting for the writer…");
    var stream = new EventSource("/events/stream?run_id=" + encodeURIComponent(run));
    source = stream;
    stream.addEventListener("run_started", function () { say("Planning the project…"); });
    stream.addEventListener("section_started", function (e) { started(payload(e)); });
    stream.addEventListener("section_completed", function (e) { completed(project, payload(e)); });
    stream.addEventListener("run_completed", function (e) {
      stream.close();
      finished(project, payload(e));
    });
    // One listener for both kinds of "error": the run's error event (it has data) and a
    // dropped connection (EventSource reconnects with Last-Event-ID unless it gave up).
    stream.addEventListener("error", function (e) {
      if (source !== stream) return;
      if (e.data) {
        stream.close();
        source = null;
        fail("Writing the project failed: " + (payload(e).error || "unknown error"));
        refreshList();
      } else if (stream.readyState === EventSource.CLOSED && !live.hasAttribute("data-done")) {
        source = null;
        fail("Lost touch with the writer. Reload the page to see the project's state.");
      }
    });
    live.scrollIntoView({ block: "start" });
  }

  function problem(response) {
    return response.text().then(function (raw) {
      var body = {};
      try { body = JSON.parse(raw) || {}; } catch (err) { body = {}; }
      var details = Array.isArray(body.details) ? body.details : [];
      var fields = details.map(function (d) {
        var loc = d && d.loc ? d.loc[d.loc.length - 1] : "";
        return (loc ? String(loc).replace("_", " ") + ": " : "") + (d && d.msg ? d.msg : "");
      }).filter(Boolean);
      return (body.error || "The project could not be started.") + (fields.length ? " " + fields.join("; ") : "");
    });
  }

  function newId() {
    return window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : null;
  }

  if (form && live && window.fetch && window.EventSource) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var body = {
        project_id: data.get("project_id"),
        chat_id: data.get("chat_id"),
        title: data.get("title"),
        topic: data.get("topic"),
        life_skill: data.get("life_skill"),
        group_size: parseInt(data.get("group_size"), 10),
        duration_min: parseInt(data.get("duration_min"), 10),
      };
      var errors = document.getElementById("project-errors");
      errors.hidden = true;
      fetch("/start", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      }).then(function (response) {
        if (!response.ok) {
          return problem(response).then(function (text) {
            errors.textContent = text;
            errors.hidden = false;
          });
        }
        return response.json().then(function (started) {
          var fresh = newId();
          if (fresh) form.elements.project_id.value = fresh; // the next submit is a new project
          follow(started.run_id, body.project_id, body.title);
          refreshList();
        });
      }).catch(function () {
        errors.textContent = "The server could not be reached. Try again.";
        errors.hidden = false;
      });
    });
  }

  if (live && live.getAttribute("data-run") && window.EventSource) {
    follow(live.getAttribute("data-run"), live.getAttribute("data-project"), null);
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-print]");
    if (button) window.print();
  });

  document.addEventListener("submit", function (event) {
    var target = event.target;
    var question = target instanceof HTMLFormElement && target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
