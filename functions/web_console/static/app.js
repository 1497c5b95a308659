// Files go from the browser straight to S3 through a presigned POST; the form then
// carries only the attachment ids. No framework, no build step.
"use strict";
document.querySelectorAll("[data-upload]").forEach(function (box) {
  var form = box.closest("form");
  var ids = box.querySelector("[data-ids]");
  var list = box.querySelector("[data-list]");
  var submit = form.querySelector("[data-submit]");
  var pending = 0;
  box.querySelector("[data-file]").addEventListener("change", function (ev) {
    Array.prototype.forEach.call(ev.target.files, function (file) { send(file); });
    ev.target.value = "";
  });
  function busy(delta) {
    pending += delta;
    if (submit) submit.disabled = pending > 0;
  }
  function send(file) {
    var li = document.createElement("li");
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    li.textContent = file.name;
    li.appendChild(bar);
    list.appendChild(li);
    busy(1);
    var ask = new FormData();
    ask.append("csrf", form.dataset.csrf);
    ask.append("file_name", file.name);
    ask.append("content_type", file.type || "application/octet-stream");
    ask.append("size", String(file.size));
    fetch(box.dataset.upload, { method: "POST", body: ask, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) return r.text().then(function () { throw new Error("refused (" + r.status + ")"); });
        return r.json();
      })
      .then(function (att) {
        var body = new FormData();
        Object.keys(att.upload.fields).forEach(function (k) { body.append(k, att.upload.fields[k]); });
        body.append("file", file);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", att.upload.url);
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = 100 * e.loaded / e.total; };
        xhr.onload = function () {
          if (xhr.status >= 200 && xhr.status < 300) {
            bar.value = 100;
            li.dataset.done = att.id;
            ids.value = ids.value ? ids.value + "," + att.id : att.id;
          } else {
            li.textContent = file.name + ": upload failed (" + xhr.status + ")";
          }
          busy(-1);
        };
        xhr.onerror = function () { li.textContent = file.name + ": upload failed"; busy(-1); };
        xhr.send(body);
      })
      .catch(function (err) { li.textContent = file.name + ": " + err.message; busy(-1); });
  }
});
