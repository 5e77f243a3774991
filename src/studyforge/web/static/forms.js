// What the page scripts that post forms with fetch() share (checks.js, quiz.js): load first.
(function () {
  "use strict";
  window.studyforge = window.studyforge || {};

  // Post the form the ordinary way, keeping which button sent it (fetch() failed or is not
  // wanted): the button's name and value ride along as a hidden field.
  window.studyforge.postNatively = function (form, submitter) {
    if (submitter && submitter.name) {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    form.submit(); // does not fire "submit" again
  };
})();
