// Contract form pickers (app/contracts/forms.py PickerField): type a few characters, choose an achievement or an
// organization from the suggestions of the box's lookup URL; the choice fills the hidden id the form posts.
// No inline script (the CSP forbids it). The server renders the current choice's label, and resolves a typed text
// itself when this script does not run or no suggestion was chosen.
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var DELAY_MS = 200;

  function setup(box) {
    var text = box.querySelector("[data-picker-text]");
    var hidden = box.querySelector("[data-picker-id]");
    var list = box.querySelector(".picker-list");
    var status = box.querySelector(".picker-status");
    var url = box.getAttribute("data-lookup-url");
    if (!text || !hidden || !list || !url) { return; }
    var timer = null, seq = 0, items = [], active = -1;
    var chosenId = hidden.value, chosenLabel = text.value;

    function close() {
      list.classList.add("d-none");
      list.textContent = "";
      text.setAttribute("aria-expanded", "false");
      text.removeAttribute("aria-activedescendant");
      items = [];
      active = -1;
    }

    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = i;
      Array.prototype.forEach.call(options, function (el, j) {
        el.classList.toggle("active", j === i);
        el.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      text.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({ block: "nearest" });
    }

    function choose(item) {
      hidden.value = String(item.id);
      text.value = item.label;
      chosenId = hidden.value;
      chosenLabel = item.label;
      close();
      if (status) { status.textContent = "已选择：" + item.label; }
    }

    function show(found) {
      list.textContent = "";
      items = found;
      active = -1;
      if (!found.length) {
        var empty = document.createElement("div");
        empty.className = "list-group-item text-muted small";
        empty.textContent = "没有相符的结果";
        list.appendChild(empty);
      }
      found.forEach(function (item, i) {
        var opt = document.createElement("button");
        opt.type = "button";
        opt.className = "list-group-item list-group-item-action";
        opt.id = list.id + "-" + i;
        opt.setAttribute("role", "option");
        opt.setAttribute("aria-selected", "false");
        opt.setAttribute("data-id", String(item.id));
        opt.appendChild(document.createTextNode(item.label));
        var num = document.createElement("span");
        num.className = "text-muted small ms-2";
        num.textContent = "#" + item.id;
        opt.appendChild(num);
        opt.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the focus in the box
        opt.addEventListener("click", function () { choose(item); });
        list.appendChild(opt);
      });
      list.classList.remove("d-none");
      text.setAttribute("aria-expanded", "true");
      if (status) { status.textContent = found.length ? "找到" + found.length + "项" : "没有相符的结果"; }
    }

    function search() {
      var q = text.value.trim();
      var mine = ++seq;
      if (!q) { close(); return; }
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q),
            { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          // only the answer to the latest text, and only while the user is still in the box
          if (data && mine === seq && document.activeElement === text) { show(data.items || []); }
        })
        .catch(function () { /* no suggestions: the server resolves the typed text on submit */ });
    }

    text.addEventListener("input", function () {
      // a changed text no longer names the chosen record (typing it back restores the choice)
      hidden.value = text.value === chosenLabel ? chosenId : "";
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    text.addEventListener("keydown", function (e) {
      var open = !list.classList.contains("d-none");
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (open) { highlight(Math.min(active + 1, items.length - 1)); } else { search(); }
      } else if (e.key === "ArrowUp" && open) {
        e.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (e.key === "Enter" && open && active >= 0) {
        e.preventDefault();
        choose(items[active]);
      } else if (e.key === "Escape" && open) {
        e.preventDefault();
        close();
      }
    });
    text.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), setup);
})();
