// Conveniences only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // A button that copies a sign-in code: shown only where the browser can copy.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      var said = document.querySelector('[data-copied="' + button.dataset.copy + '"]');
      navigator.clipboard.writeText(field.value).then(function () {
        said.textContent = button.dataset.done || said.dataset.text || "✓";
      });
    });
  });
  // A button that prints the page (a proof of membership).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // A button that shows a typed code (a password field while no one asks to see it) and hides it again.
  document.querySelectorAll("[data-show]").forEach(function (button) {
    var field = document.getElementById(button.dataset.show);
    button.hidden = false;
    button.addEventListener("click", function () {
      var shown = field.type === "password";
      field.type = shown ? "text" : "password";
      button.setAttribute("aria-pressed", shown ? "true" : "false");
      button.textContent = shown ? button.dataset.hideText : button.dataset.showText;
    });
  });
  // A quarry region's fields suggest the known regions of the country chosen, and of the state typed
  // when it is one the list knows (the page names the lists; without this file they follow the page).
  document.querySelectorAll('select[name^="quarry_regions."][name$=".country"]').forEach(function (country) {
    var base = country.name.slice(0, -".country".length);
    var region = document.querySelector('input[name="' + base + '.region"]');
    var state = document.querySelector('input[name="' + base + '.state"]');
    function suggest() {
      var lists = "regions-" + country.value;
      var typed = state.value.trim().toLowerCase();
      document.querySelectorAll("#states-" + country.value + " option").forEach(function (option) {
        if (option.value.toLowerCase() === typed && document.getElementById("regions-" + option.dataset.code)) {
          lists = "regions-" + option.dataset.code;
        }
      });
      region.setAttribute("list", lists);
      state.setAttribute("list", "states-" + country.value);
    }
    country.addEventListener("change", suggest);
    state.addEventListener("input", suggest);
  });
  // On a phone a table is shown row by row, each cell under its column's heading (portal.css, `stacked`):
  // nothing to scroll sideways and no word broken. Without this file a wide table scrolls in its wrapper.
  document.querySelectorAll("table.table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (heads[column]) { cell.setAttribute("data-label", heads[column]); }
        column += cell.colSpan || 1;
      });
    });
    table.classList.add("stacked");
  });
  // A check running in the background: its progress is read again every few seconds (without this file,
  // reloading the page shows it); once it is done, the page is loaded again with its result.
  var running = document.querySelector("[data-refresh]");
  if (running && window.fetch) {
    var look = function () {
      fetch(location.href, {credentials: "same-origin"}).then(function (answer) { return answer.text(); })
        .then(function (text) {
          var fresh = new DOMParser().parseFromString(text, "text/html").getElementById(running.id);
          if (!fresh || !fresh.hasAttribute("data-refresh")) { location.reload(); return; }
          running.innerHTML = fresh.innerHTML;
          setTimeout(look, Number(running.dataset.refresh));
        });
    };
    setTimeout(look, Number(running.dataset.refresh));
  }
  // After a refused form, take the keyboard to the summary of what to correct.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
