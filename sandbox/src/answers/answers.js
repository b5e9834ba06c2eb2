// The builder's nicety: each intent's sample phrases counted as they are typed. The
// form also works without it: the server validates every field.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("[data-phrase-count]").forEach(function (hint) {
    var phrases = document.getElementById(hint.getAttribute("data-phrase-count"));
    if (!phrases) return;
    function count() {
      var n = phrases.value.split("\n").filter(function (line) { return line.trim() !== ""; }).length;
      hint.textContent = n + " sample phrase" + (n === 1 ? "" : "s") + " (2 to 20).";
    }
    phrases.addEventListener("input", count);
    count();
  });
});
