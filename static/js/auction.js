// Auction page: poll /auctions/<id>/state and refresh price, bid count, end time and countdown without a reload.
// No inline script (the CSP forbids it); the page marks the live block with data-state-url.
(function () {
  "use strict";
  var box = document.getElementById("auction-live");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-state-url");
  var endsAt = null;
  var timer = null;
  var POLL_MS = 3000;

  function setField(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el && value !== undefined && value !== null) { el.textContent = String(value); }
    return el;
  }

  function countdown() {
    var el = box.querySelector('[data-field="countdown"]');
    if (!el || !endsAt) { return; }
    var s = Math.max(0, Math.floor((endsAt - Date.now()) / 1000));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    el.textContent = (d ? d + "天" : "") + (d || h ? h + "小时" : "") + m + "分" + sec + "秒";
  }

  function apply(st) {
    setField("phase_label", st.phase_label);
    setField("current_price_text", st.current_price_text);
    setField("bid_count", st.bid_count);
    setField("ends_at_text", st.ends_at_text);
    setField("min_next_bid_text", st.min_next_bid_text);
    var lead = box.querySelector('[data-field="you_lead"]');
    if (lead) { lead.classList.toggle("d-none", !st.you_lead); }
    // the server's clock decides; the local clock only counts down between polls
    endsAt = Date.now() + st.seconds_left * 1000;
    box.setAttribute("data-phase", st.phase);
    countdown();
    if (["closed_sold", "closed_unsold", "cancelled"].indexOf(st.status) >= 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (st) { if (st) { apply(st); } })
      .catch(function () { /* keep the last figures; try again next round */ });
  }

  var initial = box.querySelector('[data-field="countdown"]');
  if (initial) { endsAt = Date.now() + parseInt(initial.getAttribute("data-seconds") || "0", 10) * 1000; }
  countdown();
  setInterval(countdown, 1000);
  timer = setInterval(poll, POLL_MS);
})();
