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
  // After a refused form, take the keyboard to the summary of what to correct.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
