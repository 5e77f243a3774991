// Taking a quiz: move between questions without reloading the page.
// Without this script every Next, Back or question number posts the form and the server answers
// with the next screen, the answers so far in its hidden field (see web/quiz_take.py). With it,
// the same form is posted with fetch() and the question card is swapped in from the answer; the
// focus goes to the new question's answer, as after a reload. Submit is left to the browser (it
// stores the attempt and redirects to the result), and any failure falls back to the ordinary
// form post.
(function () {
  "use strict";

  var card = document.querySelector("[data-take]");
  if (!card || !window.fetch || !window.URLSearchParams || !window.DOMParser) {
    return;
  }

  var postNatively = window.studyforge.postNatively;

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-take]");
    if (!fresh) {
      return false;
    }
    var copy = document.importNode(fresh, true);
    card.parentNode.replaceChild(copy, card);
    card = copy;
    var alert = document.querySelector("[data-testid=take-error]");
    if (alert) {
      alert.parentNode.removeChild(alert);
    }
    var freshAlert = doc.querySelector("[data-testid=take-error]");
    if (freshAlert) {
      card.parentNode.insertBefore(document.importNode(freshAlert, true), card);
    }
    document.title = doc.title;
    var focus = card.querySelector("[autofocus]") || card.querySelector("h1");
    if (focus) {
      if (focus.tagName === "H1") {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    if (!card.contains(form) || !submitter || submitter.value === "submit") {
      return; // Submit answers: the browser posts it and follows the redirect to the result
    }
    event.preventDefault();
    if (card.getAttribute("aria-busy") === "true") {
      return;
    }
    var body = new URLSearchParams(new FormData(form));
    body.append(submitter.name, submitter.value);
    card.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          if (response.redirected || !swap(html)) {
            window.location.assign(response.url); // signed out meanwhile, or another page
          }
        });
      })
      .catch(function () {
        card.removeAttribute("aria-busy");
        postNatively(form, submitter);
      });
  });
})();
