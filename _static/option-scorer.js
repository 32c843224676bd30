/* The policy chapter's option scorer: one slider per criterion, and the options ranked by weighted total.
 *
 * The data come from a <script type="application/json"> element written by iranrussia.scorer.tool_html.
 * The ranking follows iranrussia.scorer.ranking: total = sum of weight x score; highest total first, ties
 * broken by option id; an option's rank is one plus the number of options with a strictly higher total.
 * Every data value reaches the page through textContent or a form attribute, never as markup. No network,
 * no libraries.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function rankOptions(data, weights) {
    var rows = data.options.map(function (option) {
      var scores = data.scores[option.id] || {};
      var total = 0;
      data.criteria.forEach(function (c) {
        total += (weights[c.id] || 0) * (scores[c.id] || 0);
      });
      return { id: option.id, text: option.text, total: total };
    });
    rows.sort(function (a, b) {
      if (a.total !== b.total) return b.total - a.total;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    rows.forEach(function (row) {
      row.rank = 1 + rows.filter(function (other) { return other.total > row.total; }).length;
    });
    return rows;
  }

  function build(container) {
    var source = document.getElementById(container.getAttribute("data-scorer-data") || "");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var weights = {};
    var sliders = {};
    var base = container.id;

    while (container.firstChild) container.removeChild(container.firstChild);
    var form = el("form", "option-scorer-weights");
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    var legend = el("p", "option-scorer-legend",
      "Weights (" + data.levels[0] + " leaves a criterion out, " + data.levels[1] + " counts it most):");
    form.appendChild(legend);

    data.criteria.forEach(function (c, i) {
      weights[c.id] = c.weight;
      var row = el("div", "option-scorer-criterion");
      var input = document.createElement("input");
      input.type = "range";
      input.min = String(data.levels[0]);
      input.max = String(data.levels[1]);
      input.step = "1";
      input.value = String(c.weight);
      input.id = base + "-w-" + i;
      input.setAttribute("data-criterion", c.id);
      var label = el("label", "option-scorer-label", c.label);
      label.htmlFor = input.id;
      var value = el("output", "option-scorer-value", String(c.weight));
      value.setAttribute("for", input.id);
      var scale = el("p", "option-scorer-scale", "Scores: " + c.scale);
      scale.id = input.id + "-scale";
      input.setAttribute("aria-describedby", scale.id);
      input.addEventListener("input", function () {
        weights[c.id] = Number(input.value);
        value.textContent = input.value;
        render();
      });
      sliders[c.id] = { input: input, value: value };
      row.appendChild(label);
      row.appendChild(input);
      row.appendChild(value);
      row.appendChild(scale);
      form.appendChild(row);
    });

    var reset = el("button", "option-scorer-reset", "Back to the book's weights");
    reset.type = "button";
    reset.addEventListener("click", function () {
      data.criteria.forEach(function (c) {
        weights[c.id] = c.weight;
        sliders[c.id].input.value = String(c.weight);
        sliders[c.id].value.textContent = String(c.weight);
      });
      render();
    });
    form.appendChild(reset);
    container.appendChild(form);

    var status = el("p", "option-scorer-status");
    status.setAttribute("aria-live", "polite");
    container.appendChild(status);
    var list = el("ol", "option-scorer-ranking");
    container.appendChild(list);

    function render() {
      var rows = rankOptions(data, weights);
      while (list.firstChild) list.removeChild(list.firstChild);
      rows.forEach(function (row) {
        var item = el("li", "option-scorer-option");
        item.setAttribute("data-option-id", row.id);
        item.setAttribute("data-rank", String(row.rank));
        item.appendChild(el("span", "option-scorer-rank", "Rank " + row.rank + ". "));
        item.appendChild(el("span", "option-scorer-id", row.id.replace(/^PO0?/, "Option ") + ": "));
        item.appendChild(el("span", "option-scorer-text", row.text));
        item.appendChild(el("span", "option-scorer-total", " (total " + row.total + ")"));
        list.appendChild(item);
      });
      var allZero = data.criteria.every(function (c) { return !weights[c.id]; });
      status.textContent = allZero
        ? "All weights are 0: every option ties, listed by number."
        : "Ranked by weighted total; tied options share a rank and are listed by number.";
    }
    render();
    container.setAttribute("data-ready", "true");
  }

  function start() {
    var containers = document.querySelectorAll(".option-scorer[data-scorer-data]");
    for (var i = 0; i < containers.length; i++) build(containers[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
