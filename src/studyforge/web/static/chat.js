// The Tutor page: ask without reloading, and watch the answer arrive.
// Without this script the ask form is an ordinary post and the server answers with a redirect to
// the answer (see web/chat.py). With it, the question is shown at once and sent as JSON to
// POST /chat/stream; the answer's words are added as their `token` events arrive (a `replace`
// sets the whole text; an `error` means it was not saved), its source chips when `citations`
// comes, and after `done` the page's address becomes the chat's and the
// rendered answer (its marker links, the quiz link), the title and the list of chats are taken
// from GET /tutor/<id>. An error answer ({"error", "code"}) is shown above the form, the
// question put back in the box. The list of chats starts folded on a phone.
(function () {
  "use strict";

  var root = document.querySelector("[data-chat]");
  var side = document.querySelector("[data-chat-side]");
  if (side && root && root.getAttribute("data-session-id") &&
      window.matchMedia && window.matchMedia("(max-width: 859px)").matches) {
    side.open = false; // the conversation comes first on a phone; the list is one tap away
  }
  if (!root || !window.fetch || !window.TextDecoder || !window.DOMParser || !window.FormData ||
      !window.ReadableStream) {
    return;
  }
  var form = root.querySelector("[data-chat-form]");
  var log = root.querySelector("[data-chat-log]");
  var errorBox = form.querySelector("[data-chat-error]");
  var send = form.querySelector("[data-chat-send]");
  var box = form.querySelector("textarea[name=message]");
  var MAX = Number(form.getAttribute("data-max-message")) || 4000;
  var busy = false;

  var TEXT = {
    empty: "Write your question first.",
    long: function (n) {
      return "Shorten your question to " + MAX + " characters (this one has " + n + ").";
    },
    noDocuments: "Check at least one document, or choose “All my documents”.",
    noFolder: "Type a folder, such as science/, or choose “All my documents”.",
    cut: "The answer was cut off on its way. Reload the page to see whether it was saved.",
  };
  var BY_CODE = {
    CSRF_REJECTED: "The question was refused for safety. Reload the page, then ask again.",
    DOCUMENT_NOT_FOUND: "Some of the documents you chose are not in your library any more. " +
      "Reload the page and choose again.",
    SESSION_NOT_FOUND: "This chat no longer exists (it was deleted). Start a new chat.",
    SESSION_SCOPE_SET: "This chat already draws on other documents. Start a new chat to " +
      "choose others.",
    REQUEST_IN_PROGRESS: "This question is already being answered. Wait a moment, then " +
      "reload the page.",
    USER_MISMATCH: "The question was refused. Reload the page, then ask again.",
  };
  var BY_FIELD = {
    message: "Your question cannot be sent as it is: write it on the page as text, at most " +
      MAX + " characters.",
    document_ids: "Choose at most 100 documents from the list, or a folder.",
    source_filter: "The folder can be at most 500 characters, on one line.",
  };

  var element = window.studyforge.element; // kit.js

  function newId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function sentence(text) {
    return String(text || "").trim().replace(/[.\s]+$/, "");
  }

  // What went wrong, in words, from the status and the error body (either error shape).
  function problem(status, body) {
    var error = body && body.error;
    var code = (error && typeof error === "object" ? error.code : body && body.code) || "";
    var message = error && typeof error === "object" ? error.message : error;
    if (status === 401) {
      return "Your session has expired. Reload the page and sign in again, then ask again.";
    }
    if (BY_CODE[code]) {
      return BY_CODE[code];
    }
    if (code === "VALIDATION_ERROR") {
      var loc = (((body.details || [])[0] || {}).loc || []).filter(function (part) {
        return BY_FIELD[part];
      });
      return BY_FIELD[loc[0]] || "The question could not be sent as it is. Check it, then " +
        "try again.";
    }
    if (status === 413) {
      return "Your question is too long to send. Shorten it, then try again.";
    }
    if (status === 429) {
      return "Too many questions at once. Wait a moment, then ask again.";
    }
    if (status === 0 || status >= 500) {
      return "The tutor could not answer just now. Check your connection, then try again " +
        "in a minute.";
    }
    var reason = message ? " (" + sentence(message) + ")" : "";
    return "The question was refused" + reason + ". Check it, then try again.";
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  // The API's request from the form, or the reason it cannot be sent.
  function request() {
    var data = new FormData(form);
    var message = String(data.get("message") || "");
    if (!message.trim()) {
      return { error: TEXT.empty };
    }
    if (message.length > MAX) {
      return { error: TEXT.long(message.length) };
    }
    var body = {
      message: message,
      mode: data.get("mode") === "tutor" ? "tutor" : "answer",
      request_id: String(data.get("request_id") || newId()),
    };
    var sessionId = root.getAttribute("data-session-id");
    if (sessionId) {
      body.session_id = sessionId;
      return { body: body };
    }
    var scope = data.get("scope") || "all";
    if (scope === "documents") {
      body.document_ids = [];
      data.forEach(function (value, key) {
        if (key.indexOf("doc:") === 0) {
          body.document_ids.push(key.slice(4));
        }
      });
      if (!body.document_ids.length) {
        return { error: TEXT.noDocuments };
      }
    } else if (scope === "folder") {
      body.source_filter = String(data.get("source_filter") || "").trim();
      if (!body.source_filter) {
        return { error: TEXT.noFolder };
      }
    }
    return { body: body };
  }

  // The question at once, and an empty answer that the tokens fill.
  function pending(body) {
    var turn = element("li", "chat-turn chat-pending");
    var question = element("div", "chat-q");
    var asked = body.mode === "tutor" ? "You · asked to be guided" : "You";
    question.append(element("p", "chat-who", asked), element("p", "chat-q-text", body.message));
    var answer = element("div", "chat-a");
    answer.setAttribute("data-testid", "chat-answer");
    var who = element("p", "chat-who", body.mode === "tutor" ? "Tutor · a guiding question" : "Tutor");
    var text = element("div", "chat-a-text");
    text.setAttribute("data-chat-answer", "");
    var waiting = element("span", "chat-typing", "Looking in your documents…");
    text.appendChild(waiting);
    answer.append(who, text);
    turn.append(question, answer);
    var empty = root.querySelector("[data-chat-empty]");
    if (empty) {
      empty.hidden = true;
    }
    log.setAttribute("aria-busy", "true");
    log.appendChild(turn);
    turn.scrollIntoView({ block: "nearest" });
    return { turn: turn, answer: answer, who: who, text: text, waiting: waiting, empty: empty };
  }

  function hrefOf(citation) {
    if (!citation.document_id) {
      return null;
    }
    var url = "/library/" + encodeURIComponent(citation.document_id);
    return citation.page === null || citation.page === undefined ? url
      : url + "#page-" + citation.page;
  }

  function citations(item, data) {
    item.answer.classList.add(data.grounded ? "chat-a-grounded" : "chat-a-refused");
    item.answer.setAttribute("data-grounded", data.grounded ? "true" : "false");
    if (!data.grounded) {
      var badge = element("span", "badge chat-refused-badge", "Not in your material");
      badge.setAttribute("data-testid", "chat-refused");
      item.who.append(" ", badge);
    }
    if (!data.citations || !data.citations.length) {
      return;
    }
    var list = element("ul", "chat-cites");
    list.setAttribute("aria-label", "Sources of this answer");
    data.citations.forEach(function (citation) {
      var label = (citation.filename || "the document") +
        (citation.page ? ", page " + citation.page : "");
      var href = hrefOf(citation);
      var chip = element(href ? "a" : "span", "chat-chip");
      if (href) {
        chip.href = href;
        chip.setAttribute("data-testid", "citation-chip");
      }
      var number = element("span", "chat-chip-n", String(citation.number));
      number.setAttribute("aria-hidden", "true");
      chip.append(number, element("span", "visually-hidden", "Source " + citation.number + ": "),
        label);
      var entry = element("li");
      entry.appendChild(chip);
      list.appendChild(entry);
    });
    item.answer.appendChild(list);
  }

  // The server's rendering of the chat: its answer, title, scope, list and delete form.
  function refresh(item, done) {
    var url = "/tutor/" + encodeURIComponent(done.session_id);
    return fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("m-" + done.message_id);
        if (fresh) {
          item.turn.parentNode.replaceChild(document.importNode(fresh, true), item.turn);
        }
        ["head", "sessions", "scope", "danger"].forEach(function (name) {
          var selector = "[data-chat-part=" + name + "]";
          var mine = root.querySelector(selector);
          var theirs = doc.querySelector(selector);
          if (mine && theirs) {
            mine.parentNode.replaceChild(document.importNode(theirs, true), mine);
          }
        });
        var count = doc.querySelector("[data-chat-count]");
        var shown = root.querySelector("[data-chat-count]");
        if (count && shown) {
          shown.textContent = count.textContent;
        } else if (count) {
          root.querySelector(".chat-side-summary").appendChild(document.importNode(count, true));
        }
        document.title = doc.title;
      })
      .catch(function () {
        // the streamed answer stays as it is; a reload shows the rendered one
      });
  }

  function finish(item, done) {
    var isNew = !root.getAttribute("data-session-id");
    root.setAttribute("data-session-id", done.session_id);
    form.action = "/tutor/" + done.session_id;
    form.querySelector("[name=request_id]").value = newId();
    item.turn.id = "m-" + done.message_id;
    item.turn.classList.remove("chat-pending");
    if (isNew) {
      try {
        history.replaceState(null, "", "/tutor/" + done.session_id);
      } catch (ignored) {
        // a sandboxed frame: the address stays /tutor, the form still posts to the chat
      }
    }
    return refresh(item, done);
  }

  // Read a Server-Sent Events body, calling `on(event, data)` for each complete event.
  function readEvents(response, on) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function handle(block) {
      var name = "message";
      var data = [];
      block.split(/\r?\n/).forEach(function (line) {
        if (line.indexOf("event:") === 0) {
          name = line.slice(6).trim();
        } else if (line.indexOf("data:") === 0) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
      });
      if (data.length) {
        on(name, JSON.parse(data.join("\n")));
      }
    }
    function pump() {
      return reader.read().then(function (chunk) {
        buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
        var blocks = buffer.split(/\r?\n\r?\n/);
        buffer = chunk.done ? "" : blocks.pop();
        blocks.forEach(handle);
        return chunk.done ? null : pump();
      });
    }
    return pump();
  }

  function failed(item, body, text) {
    item.turn.parentNode.removeChild(item.turn);
    if (item.empty && !log.children.length) {
      item.empty.hidden = false;
    }
    log.removeAttribute("aria-busy");
    if (!box.value) {
      box.value = body.message;
    }
    showError(text);
    box.focus();
  }

  function ask(body) {
    var item = pending(body);
    var done = null;
    var started = false;
    var unsaved = null; // an `error` event: nothing was stored, so the question goes back
    return fetch("/chat/stream", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("text/event-stream") < 0) {
        return response.text().then(function (raw) {
          var parsed = {};
          try {
            parsed = JSON.parse(raw) || {};
          } catch (ignored) {
            parsed = {}; // a proxy's HTML error page
          }
          failed(item, body, problem(response.ok ? 500 : response.status, parsed));
        });
      }
      return readEvents(response, function (name, data) {
        if (name === "token") {
          if (!started) {
            started = true;
            item.text.removeChild(item.waiting);
          }
          item.text.appendChild(document.createTextNode(data.text));
        } else if (name === "replace") {
          if (!started) {
            started = true;
            item.text.removeChild(item.waiting);
          }
          item.text.textContent = data.text;
        } else if (name === "error") {
          unsaved = data;
        } else if (name === "citations") {
          citations(item, data);
        } else if (name === "done") {
          done = data;
        }
      }).then(function () {
        if (unsaved) {
          return failed(item, body, problem(500, unsaved));
        }
        if (!done) {
          throw new Error("no done event");
        }
        return finish(item, done);
      }).then(function () {
        log.removeAttribute("aria-busy");
      });
    }).catch(function () {
      if (started || done) {
        log.removeAttribute("aria-busy");
        showError(TEXT.cut);
      } else {
        failed(item, body, problem(0, {}));
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    var built = request();
    if (built.error) {
      showError(built.error);
      box.focus();
      return;
    }
    errorBox.hidden = true;
    errorBox.textContent = "";
    busy = true;
    send.setAttribute("aria-disabled", "true"); // not disabled: that would drop its focus
    box.value = "";
    ask(built.body).then(function () {
      busy = false;
      send.removeAttribute("aria-disabled");
    });
  });

  // Ctrl+Enter (or Cmd+Enter) sends; Enter alone starts a new line.
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.requestSubmit) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
