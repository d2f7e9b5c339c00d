// The pass form shows only the fields of the chosen kind (every field shows without JavaScript).
(function () {
  "use strict";
  function update(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll("[data-kinds]").forEach(function (block) {
      var on = block.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
      block.hidden = !on;
    });
    var allDay = form.querySelector("input[name=all_day]");
    var times = form.querySelector("[data-times]");
    if (allDay && times) times.hidden = allDay.checked;
    var note = form.querySelector("[data-tz-note]");
    if (note) note.hidden = kind === "delivery";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-pass-form]").forEach(function (form) {
      form.addEventListener("change", function () { update(form); });
      update(form);
    });
  });
})();
