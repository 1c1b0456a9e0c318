// The provider portal's upload: the file's own progress while it is sent, then the batch's
// running counts (GET /api/ingest/batches?state=processing) until the receipt arrives; then the
// batch's page. Without JavaScript the form posts to /provider/upload and lands on the same page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var item = document.getElementById("item");
  var box = document.getElementById("template-link-box");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var $ = function (id) { return document.getElementById(id); };

  item.addEventListener("change", function () {
    box.textContent = "";
    if (!item.value) return;
    var a = document.createElement("a");
    a.id = "template-link";
    a.href = "/api/catalog/items/" + encodeURIComponent(item.value) + "/template.xlsx";
    a.setAttribute("download", "");
    a.textContent = "下载该目录项的Excel模板";
    box.appendChild(a);
  });

  function show(counts) {
    ["rows", "accepted", "updated", "unchanged", "rejected"].forEach(function (k) {
      if (counts[k] !== undefined) $("count-" + k).textContent = counts[k];
    });
  }

  function fail(message) {
    var el = $("upload-error");
    el.textContent = message;
    el.hidden = false;
    $("upload-button").disabled = false;
  }

  form.addEventListener("submit", function (event) {
    var file = $("file").files[0];
    if (!item.value || !file) return;  // the browser's own checks speak
    event.preventDefault();
    $("progress").hidden = false;
    $("upload-error").hidden = true;
    $("upload-button").disabled = true;
    var data = new FormData();
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    var polling = null;
    xhr.open("POST", "/api/ingest/" + encodeURIComponent(item.value) + "/files");
    if (meta) xhr.setRequestHeader("X-CSRF-Token", meta.getAttribute("content"));
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      $("upload-bar").value = percent;
      $("upload-percent").textContent = percent + "%";
    };
    xhr.upload.onload = function () {
      $("upload-bar").value = 100;
      $("upload-percent").textContent = "100%";
      $("batch-status").textContent = "文件已送达，正在校验入库……";
      polling = setInterval(function () {
        var poll = new XMLHttpRequest();
        poll.open("GET", "/api/ingest/batches?state=processing&limit=1&item=" + encodeURIComponent(item.value));
        poll.onload = function () {
          if (poll.status !== 200) return;
          var found = JSON.parse(poll.responseText).batches[0];
          if (found) {
            $("batch-status").textContent = "第" + found.batch_id + "批处理中……";
            show(found);
          }
        };
        poll.send();
      }, 700);
    };
    xhr.onload = function () {
      if (polling) clearInterval(polling);
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 200 && body.batch_id) {
        show(body);
        $("batch-status").textContent = "第" + body.batch_id + "批已完成，正在打开回执……";
        window.location.assign("/provider/batches/" + body.batch_id);
        return;
      }
      var error = body.error || {};
      var batch = error.details && error.details.batch_id;
      fail((error.message || "上传失败（" + xhr.status + "）") + (batch ? "（第" + batch + "批，可在推送回执中查看）" : ""));
    };
    xhr.onerror = function () {
      if (polling) clearInterval(polling);
      fail("网络中断，文件未能送达，请重试");
    };
    xhr.send(data);
  });
})();
