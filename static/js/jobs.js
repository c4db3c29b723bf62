// Follows long work (a Job): polls /jobs/<id> for every element with data-job-url and updates its progress bar,
// status, message and result link until the job is done or failed. No inline script (CSP).
(function () {
  function follow(node) {
    var url = node.getAttribute("data-job-url");
    var bar = node.querySelector("progress");
    var status = node.querySelector("[data-job-status]");
    var percent = node.querySelector("[data-job-percent]");
    var count = node.querySelector("[data-job-count]");
    var message = node.querySelector("[data-job-message]");
    var result = node.querySelector("[data-job-result]");
    var delay = 700;

    function render(job) {
      if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
      if (status) { status.textContent = job.status_label; }
      if (percent) { percent.textContent = job.percent + "%"; }
      if (count) { count.textContent = job.total ? "（" + job.progress + "/" + job.total + "）" : ""; }
      if (message) {
        message.textContent = job.message || "";
        message.className = job.status === "failed" ? "text-danger" : "text-muted";
      }
      if (result && job.result_url) { result.href = job.result_url; result.hidden = false; }
      node.setAttribute("data-job-state", job.status);
    }

    function tick() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (resp) {
          if (resp.status === 401 || resp.status === 403 || resp.status === 404) { throw new Error("stop"); }
          if (!resp.ok) { throw new Error("retry"); }
          return resp.json();
        })
        .then(function (job) {
          render(job);
          if (job.finished) { return; }
          delay = Math.min(Math.round(delay * 1.25), 5000);
          window.setTimeout(tick, delay);
        })
        .catch(function (err) {
          if (err && err.message === "stop") {
            if (status) { status.textContent = "无法读取任务状态"; }
            return;
          }
          delay = Math.min(delay * 2, 15000);  // server or network trouble: keep trying, more slowly
          window.setTimeout(tick, delay);
        });
    }
    tick();
  }

  var nodes = document.querySelectorAll("[data-job-url]");
  for (var i = 0; i < nodes.length; i++) { follow(nodes[i]); }
})();
