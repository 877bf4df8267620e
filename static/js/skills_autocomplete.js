/* Skill names suggested while typing in a skills field (comma-separated): the last name being typed is
 * looked up in /api/skills, and each suggestion completes it. Without JavaScript the field is plain text. */
(function () {
  "use strict";
  var endpoint = "/api/skills";
  document.querySelectorAll("input[name='skills']").forEach(function (input, index) {
    var list = document.createElement("datalist");
    list.id = "skills-suggestions-" + index;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.after(list);
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var parts = input.value.split(",");
        var typed = parts[parts.length - 1].trim();
        if (typed.length < 2) { list.replaceChildren(); return; }
        var before = parts.slice(0, -1).map(function (part) { return part.trim(); }).filter(Boolean);
        fetch(endpoint + "?search=" + encodeURIComponent(typed), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (skills) {
            list.replaceChildren.apply(list, skills.map(function (skill) {
              var option = document.createElement("option");
              option.value = before.concat([skill.name]).join(", ");
              return option;
            }));
          })
          .catch(function () { list.replaceChildren(); });
      }, 200);
    });
  });
})();
