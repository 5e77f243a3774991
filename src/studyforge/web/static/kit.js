// What the pages that talk to the JSON API share (documents.js, speech.js, listen.js): load first.
(function () {
  "use strict";
  var kit = (window.studyforge = window.studyforge || {});

  kit.element = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  };

  kit.parse = function (text) {
    try {
      return JSON.parse(text) || {};
    } catch (ignored) {
      return {}; // a proxy's HTML error page, an empty body...
    }
  };

  kit.sentence = function (text) {
    return String(text || "").trim().replace(/[.\s]+$/, "");
  };

  // The error in either shape: {"error": "...", "code": "..."} or {"error": {"code", "message"}}.
  kit.apiError = function (body) {
    var error = body.error;
    if (error && typeof error === "object") {
      return { code: error.code || "", message: error.message || "" };
    }
    return { code: body.code || "", message: typeof error === "string" ? error : "" };
  };

  // A refused request in plain words: the API's own message, or what the status means.
  kit.problem = function (status, body, doing) {
    var error = kit.apiError(body || {});
    if (status === 0) {
      return "The server could not be reached. Check your connection, then try again.";
    }
    if (status === 401) {
      return "Your session has expired. Reload the page and sign in again.";
    }
    if (error.code === "CSRF_REJECTED") {
      return "The request was refused for safety. Reload the page, then try again.";
    }
    var reason = error.message ? ": " + kit.sentence(error.message) : "";
    if (status >= 500 && !reason) {
      return doing + " did not work just now. Try again in a minute.";
    }
    return doing + " did not work" + reason + ".";
  };

  // fetch() a JSON endpoint; resolves to {status, body} (status 0 when offline), never rejects.
  kit.json = function (url, method, payload) {
    var options = {
      method: method || "GET",
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        return { status: response.status, body: kit.parse(text) };
      });
    }).catch(function () {
      return { status: 0, body: {} };
    });
  };

  // POST a FormData with XMLHttpRequest (fetch() reports no upload progress): `progress` gets
  // 0..100, `done` the finished request.
  kit.upload = function (url, data, progress, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        progress(Math.round((100 * event.loaded) / event.total));
      }
    });
    xhr.addEventListener("loadend", function () {
      done(xhr);
    });
    xhr.send(data);
  };
})();
