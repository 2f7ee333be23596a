// Countersign console: progressive enhancement only; every page works without it.
// Search as you type: an input with data-live="ID" refreshes the element ID
// from the same form's URL with partial=1.
(function () {
  "use strict";
  document.querySelectorAll("input[data-live]").forEach(function (input) {
    var target = document.getElementById(input.dataset.live);
    var form = input.form;
    if (!target || !form) { return; }
    var timer = null;
    var latest = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var params = new URLSearchParams(new FormData(form));
        params.set("partial", "1");
        var ticket = ++latest;
        fetch(form.action + "?" + params.toString(), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            if (ticket !== latest) { return; }
            target.innerHTML = html;
            params.delete("partial");
            history.replaceState(null, "", form.action + "?" + params.toString());
          })
          .catch(function () { /* the Search button still works */ });
      }, 200);
    });
  });
  // A pending test sign-in: ask where it stands until it is decided.
  function poll(box) {
    var url = box && box.dataset.poll;
    if (!url) { return; }
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var next = holder.querySelector("#test-outcome");
        if (!next) { return; }
        box.replaceWith(next);
        setTimeout(function () { poll(next); }, 300);
      })
      .catch(function () { setTimeout(function () { poll(box); }, 2000); });
  }
  poll(document.querySelector("#test-outcome[data-poll]"));
  // Confirmations for destructive buttons: <button data-confirm="...">.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
