// ninjagrad's backprop player: plays the steps recorded in Python (ninjagrad/draw/steps.py).
// Text reaches the page only through textContent, never as markup.
(function () {
  "use strict";
  const payload = JSON.parse(document.getElementById("ng-data").textContent);
  const nodes = payload.nodes;
  const steps = payload.steps;
  const last = steps.length - 1;
  const $ = (id) => document.getElementById(id);
  const slider = $("ng-slider");
  const playButton = $("ng-play");
  const PLAY_MS = 1100;

  // The record of node i is <g id="ng-node-i">; its last two texts are "data ..." and
  // "grad ..." (the label field, the first, may be empty and then has no text element).
  const records = nodes.map((_, i) => {
    const group = $("ng-node-" + i);
    const texts = group ? group.querySelectorAll("text") : [];
    return {
      group: group,
      data: texts[texts.length - 2] || null,
      grad: texts[texts.length - 1] || null,
      op: $("ng-op-" + i),
    };
  });

  // graphviz places each text for its own font metrics and the text's first value; the
  // script changes the texts, so centre each one in its cell (the polygon drawn before it).
  for (const r of records) {
    for (const text of r.group ? r.group.querySelectorAll("text") : []) {
      const cell = text && text.previousElementSibling;
      if (!cell || cell.tagName !== "polygon") continue;
      const box = cell.getBBox();
      text.setAttribute("x", String(box.x + box.width / 2));
      text.setAttribute("text-anchor", "middle");
    }
  }

  function edgesInto(i) {
    const found = [];
    for (let k = 0; k < nodes[i].parents.length; k++) found.push($("ng-edge-" + i + "-" + k));
    found.push($("ng-edge-" + i + "-out"));
    return found.filter(Boolean);
  }

  // The state after step k: every step's changes up to k, applied in order.
  function stateAt(k) {
    const state = nodes.map(() => ({ data: "data ?", grad: "grad ?", known: false }));
    for (let s = 1; s <= k; s++) {
      for (const [i, field, text] of steps[s].changes) {
        state[i][field] = field + " " + text;
        if (field === "data") state[i].known = true;
      }
    }
    return state;
  }

  // Fit the drawing to the page unless that would shrink it below legibility; a large
  // graph keeps its size, scrolls, and follows the highlighted node.
  const graph = document.querySelector(".ng-graph");
  const svg = graph.querySelector("svg");
  function fit() {
    const natural = svg.width.baseVal.value;  // graphviz sets width in pt; this is px
    const large = natural * 0.6 > graph.clientWidth;
    graph.classList.toggle("ng-large", large);
  }
  fit();
  window.addEventListener("resize", fit);

  // Centre an element in the scrolled drawing (scrollIntoView would scroll the whole page,
  // and in Jupyter the notebook around the player).
  function follow(el) {
    const box = el.getBoundingClientRect();
    const frame = graph.getBoundingClientRect();
    graph.scrollLeft += box.left + box.width / 2 - (frame.left + graph.clientWidth / 2);
    graph.scrollTop += box.top + box.height / 2 - (frame.top + graph.clientHeight / 2);
  }

  let current = 0;
  let timer = null;

  function show(k) {
    current = Math.max(0, Math.min(last, k));
    const step = steps[current];
    const state = stateAt(current);
    document.querySelectorAll(".ng-fwd, .ng-bwd, .ng-recv, .ng-edge-fwd, .ng-edge-bwd")
      .forEach((el) => el.classList.remove("ng-fwd", "ng-bwd", "ng-recv", "ng-edge-fwd",
        "ng-edge-bwd"));
    records.forEach((r, i) => {
      if (r.data) r.data.textContent = state[i].data;
      if (r.grad) r.grad.textContent = state[i].grad;
      if (r.group) r.group.classList.toggle("ng-pending", !state[i].known);
      if (r.op) r.op.classList.toggle("ng-pending", !state[i].known);
    });
    if (step.node !== null) {
      const active = step.kind === "forward" ? "ng-fwd" : "ng-bwd";
      const r = records[step.node];
      [r.group, r.op].forEach((el) => el && el.classList.add(active));
      if (graph.classList.contains("ng-large") && r.group) follow(r.group);
      if (step.kind === "forward" || step.kind === "backward") {
        const edge = step.kind === "forward" ? "ng-edge-fwd" : "ng-edge-bwd";
        edgesInto(step.node).forEach((el) => el.classList.add(edge));
      }
      for (const i of step.receivers) {
        if (records[i].group) records[i].group.classList.add("ng-recv");
      }
    }
    $("ng-phase").textContent = step.kind;
    $("ng-phase").className = "ng-phase ng-phase-" + step.kind;
    $("ng-title").textContent = step.title;
    const detail = $("ng-detail");
    detail.replaceChildren();
    for (const [style, text] of step.lines) {
      const line = document.createElement("div");
      line.className = "ng-line ng-" + style;
      line.textContent = text;
      detail.appendChild(line);
    }
    slider.value = String(current);
    $("ng-counter").textContent = "step " + current + " / " + last;
    $("ng-prev").disabled = current === 0;
    $("ng-reset").disabled = current === 0;
    $("ng-next").disabled = current === last;
    const hash = "#step=" + current;
    if (location.hash !== hash) {
      try {
        history.replaceState(null, "", hash);
      } catch (e) {
        // an iframe's srcdoc page (Jupyter) cannot change its URL; the player works anyway
      }
    }
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    playButton.textContent = "▶ play";
  }

  function play() {
    if (current === last) show(0);
    playButton.textContent = "❚❚ pause";
    timer = setInterval(() => {
      if (current >= last) stop();
      else show(current + 1);
    }, PLAY_MS);
  }

  const toggle = () => (timer === null ? play() : stop());
  const go = (k) => { stop(); show(k); };

  function fromHash() {
    const match = /^#step=(end|\d+)$/.exec(location.hash);
    if (!match) return null;
    return match[1] === "end" ? last : parseInt(match[1], 10);
  }

  slider.max = String(last);
  $("ng-reset").addEventListener("click", () => go(0));
  $("ng-prev").addEventListener("click", () => go(current - 1));
  $("ng-next").addEventListener("click", () => go(current + 1));
  $("ng-end").addEventListener("click", () => go(last));
  playButton.addEventListener("click", toggle);
  slider.addEventListener("input", () => go(parseInt(slider.value, 10)));
  window.addEventListener("hashchange", () => {
    const k = fromHash();
    if (k !== null && k !== current) go(k);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return;
    // a focused button already answers space and enter with a click
    if (event.target.tagName === "BUTTON" && (event.key === " " || event.key === "Enter")) return;
    const keys = {
      ArrowRight: () => go(current + 1),
      ArrowDown: () => go(current + 1),
      ArrowLeft: () => go(current - 1),
      ArrowUp: () => go(current - 1),
      Home: () => go(0),
      End: () => go(last),
      " ": toggle,
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  const start = fromHash();
  show(start === null ? 0 : start);
})();
