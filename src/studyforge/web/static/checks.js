// A lesson's "Check your understanding": answer in place, without reloading the page.
// Without this script each question's form posts and the server redirects to the lesson's
// checks page with the feedback (see web/checks.py). With it, the same form is posted with
// fetch(), which follows that redirect; the questions and the score are swapped in from the
// answer, the address becomes the checks page's (so Reload keeps the answers) and the focus
// moves to the feedback. Any failure falls back to the ordinary form post.
(function () {
  "use strict";

  var list = document.querySelector("[data-quiz]");
  var score = document.getElementById("quiz-score");
  if (!list || !score || !window.fetch || !window.URLSearchParams || !window.DOMParser) {
    return;
  }

  var postNatively = window.studyforge.postNatively;

  function adopt(target, fresh) {
    var nodes = Array.prototype.map.call(fresh.childNodes, function (node) {
      return document.importNode(node, true);
    });
    while (target.firstChild) {
      target.removeChild(target.firstChild);
    }
    nodes.forEach(function (node) {
      target.appendChild(node);
    });
  }

  function swap(html, key) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var freshList = doc.querySelector("[data-quiz]");
    var freshScore = doc.getElementById("quiz-score");
    if (!freshList || !freshScore || doc.querySelector(".quiz-error")) {
      return false;
    }
    Array.prototype.forEach.call(freshList.children, function (item) {
      var old = document.getElementById(item.id);
      if (old) {
        var copy = document.importNode(item, true);
        copy.querySelectorAll("[autofocus]").forEach(function (el) {
          el.removeAttribute("autofocus");
        });
        old.parentNode.replaceChild(copy, old);
      }
    });
    // The live region stays in the page; only its text changes, so it is announced.
    adopt(score, freshScore);
    var feedback = document.getElementById("feedback-" + key);
    if (feedback) {
      feedback.focus();
    }
    return true;
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("quiz-form")) {
      return;
    }
    event.preventDefault();
    var item = form.closest(".quiz-item");
    if (!item || item.classList.contains("quiz-busy")) {
      return;
    }
    var submitter = event.submitter || null;
    var body = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) {
      body.append(submitter.name, submitter.value);
    }
    var key = body.get("check") || "";
    item.classList.add("quiz-busy");
    item.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          if (!response.ok || !response.redirected) {
            throw new Error("not a checks page");
          }
          if (!swap(html, key)) {
            // Signed out meanwhile (the sign-in page came back), or some other page: go there.
            window.location.assign(response.url);
            return;
          }
          if (window.history && window.history.replaceState) {
            window.history.replaceState(null, "", response.url);
          }
        });
      })
      .catch(function () {
        item.classList.remove("quiz-busy");
        item.removeAttribute("aria-busy");
        postNatively(form, submitter);
      });
  });
})();
