// The Courses form. The document picker: a folder's "whole folder" box checks or clears its
// documents and shows "some" (indeterminate) when only part of them are checked, and the hint
// says how many are chosen; without this script the form works the same way (the server
// expands a checked folder to its documents).
// Back after Create: the form is `autocomplete="off"`, so the browser shows it empty (without
// this script, nothing can be sent twice by accident). This script keeps what was sent in the
// history entry (`history.state`) and puts it back, request id included, on Back: sent again
// unchanged, it lands on the course it already made instead of making a second one.
(function () {
  "use strict";

  var form = document.querySelector("[data-course-form]");
  var picker = document.querySelector("[data-picker]");
  var summary = picker ? picker.querySelector("[data-picker-summary]") : null;
  var NONE = summary ? summary.getAttribute("data-none") : "";

  function all(root, selector) {
    return Array.prototype.slice.call(root.querySelectorAll(selector));
  }

  function checkedOf(boxes) {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function syncFolder(folder) {
    var whole = folder.querySelector("[data-picker-whole]");
    var docs = all(folder, "[data-picker-doc]");
    var checked = checkedOf(docs);
    if (whole) {
      whole.checked = docs.length > 0 && checked === docs.length;
      whole.indeterminate = checked > 0 && checked < docs.length;
    }
  }

  function syncPicker() {
    if (!picker) {
      return;
    }
    all(picker, "[data-picker-folder]").forEach(syncFolder);
    if (summary) {
      var chosen = checkedOf(all(picker, "[data-picker-doc]"));
      summary.textContent = chosen === 0
        ? NONE
        : chosen + (chosen === 1 ? " document chosen." : " documents chosen.");
    }
  }

  if (picker) {
    picker.addEventListener("change", function (event) {
      var box = event.target;
      var folder = box.closest ? box.closest("[data-picker-folder]") : null;
      if (!folder) {
        return;
      }
      if (box.hasAttribute("data-picker-whole")) {
        all(folder, "[data-picker-doc]").forEach(function (doc) { doc.checked = box.checked; });
      }
      syncPicker();
    });
  }

  function fields() {
    return Array.prototype.slice.call(form.elements).filter(function (el) {
      return el.name && el.tagName === "INPUT";
    });
  }

  function remember() {
    var sent = {};
    fields().forEach(function (el) {
      sent[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    try {
      history.replaceState({ courseForm: sent }, "");
    } catch (ignored) {
      // no history state (a sandboxed frame): Back then shows an empty form
    }
  }

  function restore() {
    var sent = history.state && history.state.courseForm;
    if (!sent) {
      return;
    }
    fields().forEach(function (el) {
      var known = Object.prototype.hasOwnProperty.call(sent, el.name);
      if (el.type === "checkbox") {
        el.checked = known && sent[el.name] === true;
      } else if (known) {
        el.value = sent[el.name];
      }
    });
  }

  if (form) {
    form.addEventListener("submit", remember);
  }

  function show() {
    if (form) {
      restore();
    }
    syncPicker();
  }

  // Also when the page comes back from the back/forward cache, exactly as it was left.
  window.addEventListener("pageshow", show);
  show();
})();
