/* Price guidance beside the budget on the project form.
 *
 * As the category, skills and budget type change, asks /api/price-guidance what similar work was paid and
 * shows the middle half of those prices with their median; says nothing when fewer than a few hires are known.
 */
(function () {
  "use strict";
  var box = document.getElementById("budget-guidance");
  if (!box) { return; }
  var form = box.closest("form");
  var timer = null;

  function field(name) {
    var checked = form.querySelector("[name='" + name + "']:checked");
    var input = checked || form.querySelector("[name='" + name + "']");
    return input ? input.value : "";
  }

  function show(data) {
    var enough = data && data.sample_size >= Number(box.dataset.minSample || 5) && data.median !== null;
    if (!enough) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = box.dataset.text
      .replace("{low}", data.low).replace("{high}", data.high).replace("{median}", data.median)
      .replace("{currency}", String(data.currency).toUpperCase()).replace("{count}", data.sample_size);
    box.hidden = false;
  }

  function ask() {
    var query = new URLSearchParams({category: field("category"), skills: field("skills"),
                                     budget_type: field("budget_type"), currency: field("currency") || "usd"});
    fetch(box.dataset.endpoint + "?" + query.toString(), {credentials: "same-origin",
                                                          headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(show)
      .catch(function () { show(null); });
  }

  form.addEventListener("change", function () { window.clearTimeout(timer); timer = window.setTimeout(ask, 250); });
  ask();
})();
