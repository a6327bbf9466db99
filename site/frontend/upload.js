// The upload page: sends the file with tus (resumable, chunked), shows progress, then submits
// the work's details with the finished upload's id. Works without a page reload in between,
// and an interrupted upload resumes from where it stopped (tus-js-client remembers it).
import * as tus from "tus-js-client";

function setup(form) {
  const input = form.querySelector("input[type=file]");
  const progress = form.querySelector("progress");
  const status = form.querySelector("[data-upload-status]");
  const hidden = form.querySelector("input[name=upload]");
  const button = form.querySelector("button[type=submit]");
  const config = JSON.parse(document.getElementById("upload-settings").textContent);
  const messages = form.dataset;

  form.addEventListener("submit", (event) => {
    if (hidden.value) return; // the file is up: let the form post its details
    event.preventDefault();
    const file = input.files[0];
    if (!file) {
      status.textContent = messages.msgChoose;
      input.focus();
      return;
    }
    button.disabled = true;
    progress.hidden = false;
    const upload = new tus.Upload(file, {
      endpoint: config.endpoint,
      chunkSize: config.chunkSize,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, filetype: file.type },
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      onProgress(sent, total) {
        const percent = Math.floor((sent / total) * 100);
        progress.value = percent;
        status.textContent = `${messages.msgProgress} ${percent}%`;
      },
      onError(error) {
        button.disabled = false;
        const body = error.originalResponse ? error.originalResponse.getBody() : "";
        status.textContent = messages.msgFailed + (body ? " " + body : "");
      },
      onSuccess() {
        hidden.value = upload.url.replace(/\/$/, "").split("/").pop();
        status.textContent = messages.msgDone;
        form.submit();
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });
}

document.querySelectorAll("form[data-upload-form]").forEach(setup);
