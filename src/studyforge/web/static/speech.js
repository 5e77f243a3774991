// Speech in the browser: the Speech page's upload (POST /transcribe with progress), its
// synthesis form (voices from GET /voices, POST /synthesize), a transcript that follows its
// recording, and the Listen buttons of lessons and notes (their `data-listen` endpoint).
(function () {
  "use strict";

  var kit = window.studyforge;
  var POLL_EVERY = 1500; // ms between looks at a transcription's job
  var TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED"];

  function say(node, text, failed) {
    node.classList.toggle("upload-error", Boolean(failed));
    node.setAttribute("role", failed ? "alert" : "status");
    node.textContent = text;
  }

  // A synthesis answer in a player, with whether it came from the cache.
  function play(audio, note, answer) {
    audio.src = answer.s3_url;
    audio.closest(".speech-player").hidden = false;
    var seconds = Math.round(answer.duration) + " s";
    note.textContent = (answer.cached ? "Cached: played from the audio made earlier" :
      "Newly made") + " · " + seconds + (answer.truncated ? " · only the beginning, the " +
      "whole text is over the length limit" : "") + ".";
    note.setAttribute("data-cached", answer.cached ? "true" : "false");
  }

  function uploadProblem(form, status, body) {
    if (status === 413) {
      return "This recording is larger than the " + form.dataset.maxBytes / (1024 * 1024) +
        " MB limit. Cut it into shorter parts, then upload those.";
    }
    if (status === 415) {
      return "This file is not a recording studyforge can read. Save it as MP3, WAV or M4A, " +
        "then upload that.";
    }
    return kit.problem(status, body, "The upload");
  }

  function transcribeForm(form) {
    var input = form.querySelector("#transcribe-file");
    var status = form.querySelector("#transcribe-status");
    var cell = form.querySelector("#transcribe-progress");
    var bar = cell.querySelector("progress");
    var percent = cell.querySelector(".progress-value");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = input.files[0];
      if (!file) {
        say(status, "Choose a recording first.", true);
        return;
      }
      var data = new FormData();
      data.append("file", file, file.name);
      data.append("add_to_library", form.querySelector("#transcribe-library").checked);
      cell.hidden = false;
      say(status, "Uploading " + file.name + "…");
      kit.upload(form.action, data, function (value) {
        bar.value = value;
        percent.textContent = value + "%";
      }, function (xhr) {
        cell.hidden = true;
        var body = kit.parse(xhr.responseText);
        if (xhr.status !== 202) {
          say(status, uploadProblem(form, xhr.status, body), true);
          return;
        }
        input.value = "";
        say(status, file.name + " is uploaded and being transcribed; follow it below. ");
        var link = kit.element("a", "upload-open", "Open");
        link.href = "/speech/" + encodeURIComponent(body.job_id);
        link.appendChild(kit.element("span", "visually-hidden", " " + file.name));
        status.appendChild(link);
        document.body.dispatchEvent(new CustomEvent("transcriptions-changed"));
      });
    });
  }

  function voiceLabel(voice) {
    return voice.name + " — " + voice.gender.toLowerCase() + ", " + voice.language_code;
  }

  function synthForm(form) {
    var select = form.querySelector("#synth-voice");
    var status = form.querySelector("#synth-status");
    kit.json("/voices").then(function (answer) {
      var voices = answer.body.voices || [];
      select.textContent = "";
      voices.forEach(function (voice) {
        var option = kit.element("option", "", voiceLabel(voice));
        option.value = voice.id;
        select.appendChild(option);
      });
      if (!voices.length) {
        select.appendChild(kit.element("option", "", "No voices"));
        say(form.querySelector("#synth-voice-status"), kit.problem(answer.status, answer.body,
          "Loading the voices"), true);
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var payload = {
        text: form.querySelector("#synth-text").value,
        voice_id: select.value,
        output_format: form.querySelector("#synth-format").value,
      };
      say(status, "Reading aloud…");
      kit.json(form.action, "POST", payload).then(function (answer) {
        if (answer.status !== 200) {
          say(status, kit.problem(answer.status, answer.body, "Reading aloud"), true);
          return;
        }
        say(status, "Ready: press play.");
        play(form.querySelector("#synth-audio"), form.querySelector("#synth-cached"), answer.body);
      });
    });
  }

  function listenButton(box) {
    var button = box.querySelector("button");
    var status = box.querySelector(".listen-status");
    box.hidden = false; // without this script the button could do nothing
    button.addEventListener("click", function () {
      button.disabled = true;
      say(status, "Preparing the audio… a long text takes a little while the first time.");
      kit.json(box.dataset.listen, "POST").then(function (answer) {
        button.disabled = false;
        if (answer.status !== 200) {
          say(status, kit.problem(answer.status, answer.body, "Reading aloud"), true);
          return;
        }
        say(status, "");
        var audio = box.querySelector("audio");
        play(audio, box.querySelector(".listen-note"), answer.body);
        audio.play().catch(function () {
          return null; // autoplay refused: the controls are there
        });
      });
    });
  }

  // The transcript follows the recording: the line being spoken is marked; a click seeks there.
  function follow(audio, list) {
    var buttons = Array.prototype.slice.call(list.querySelectorAll(".segment"));
    function mark() {
      var now = audio.currentTime;
      buttons.forEach(function (button) {
        var on = now >= Number(button.dataset.start) && now < Number(button.dataset.end);
        button.classList.toggle("is-current", on);
        if (on) {
          button.setAttribute("aria-current", "true");
        } else {
          button.removeAttribute("aria-current");
        }
      });
    }
    audio.addEventListener("timeupdate", mark);
    audio.addEventListener("seeked", mark);
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        audio.currentTime = Number(button.dataset.start);
        audio.play().catch(function () {
          return null;
        });
      });
    });
  }

  function toLibrary(form) {
    var status = document.getElementById("library-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say(status, "Adding to your documents…");
      kit.json(form.action, "POST").then(function (answer) {
        if (answer.status !== 202) {
          say(status, kit.problem(answer.status, answer.body, "Adding it to your documents"), true);
          return;
        }
        say(status, "Added to your documents: ");
        var link = kit.element("a", "", "open the transcript");
        link.href = "/library/" + encodeURIComponent(answer.body.document_id);
        status.append(link, ".");
      });
    });
  }

  // While it is transcribing: the job's progress, then the page again with the transcript.
  function watch(box) {
    var bar = box.querySelector("progress");
    var percent = box.querySelector(".progress-value");
    var step = box.querySelector(".job-detail");
    window.setTimeout(function look() {
      kit.json("/api/jobs/" + encodeURIComponent(box.dataset.job)).then(function (answer) {
        var job = answer.body;
        if (answer.status === 200 && TERMINAL.indexOf(job.status) >= 0) {
          window.location.reload();
          return;
        }
        if (answer.status === 200) {
          bar.value = job.progress;
          percent.textContent = job.progress + "%";
          step.textContent = job.current_step || "Waiting to start";
        }
        window.setTimeout(look, POLL_EVERY);
      });
    }, POLL_EVERY);
  }

  var byId = document.getElementById.bind(document);
  if (byId("transcribe-form")) {
    transcribeForm(byId("transcribe-form"));
  }
  if (byId("synth-form")) {
    synthForm(byId("synth-form"));
  }
  if (byId("rec-audio") && byId("segments")) {
    follow(byId("rec-audio"), byId("segments"));
  }
  if (byId("to-library")) {
    toLibrary(byId("to-library"));
  }
  if (byId("rec-progress") && byId("rec-progress").dataset.job) {
    watch(byId("rec-progress"));
  }
  document.querySelectorAll("[data-listen]").forEach(listenButton);
})();
