// scratchgrad playground: the page. It draws; the server (Python, scratchgrad) trains.
// One WebSocket per tab; every message is JSON (see protocol.py for the list).
"use strict";

const CLASSIFICATION = ["circle", "xor", "gaussian", "spiral", "spiral3", "moons"];
const REGRESSION = ["plane", "multigauss"];
const DATASET_NAMES = {
  circle: "Circle", xor: "Exclusive or", gaussian: "Gaussians", spiral: "Spiral", spiral3: "3-arm spiral",
  moons: "Moons", plane: "Plane", multigauss: "Multi Gaussian", csv: "Your CSV",
};
const FEATURE_NAMES = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"];
const FEATURE_TITLES = {x1: "x₁", x2: "x₂", x1_squared: "x₁²", x2_squared: "x₂²", x1_x2: "x₁x₂",
  sin_x1: "sin x₁", sin_x2: "sin x₂"};
const FEATURE_FUNCTIONS = {
  x1: (a, b) => a, x2: (a, b) => b, x1_squared: (a, b) => a * a, x2_squared: (a, b) => b * b,
  x1_x2: (a, b) => a * b, sin_x1: (a, b) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
};
const INTEGER_SETTINGS = ["n_points", "seed", "batch_size"];
const NUMBER_SETTINGS = ["noise", "train_fraction", "lr", "regularization_rate"];
const LIST_SETTINGS = ["features", "hidden"];
const TEXT_SETTINGS = ["task", "dataset", "activation", "optimizer", "regularization"];
const HIDEABLE = ["data", "hyper", "network", "code", "micrograd"];
// class colours: orange and blue as in TensorFlow Playground, then more for multi-class data
const CLASS_COLOURS = [[245, 147, 34], [8, 119, 189], [58, 156, 79], [142, 92, 196], [214, 68, 63],
  [42, 163, 163], [140, 109, 49], [212, 95, 160]];
const NODE = 36;          // a neuron's heatmap, in CSS pixels
const ROW = 48;           // vertical distance between neurons

const $ = (id) => document.getElementById(id);
const state = {
  ws: null, limits: null, settings: null, setup: null, frame: null, playing: false, awaitingTrain: false,
  history: [], urlSettings: null, hide: [], discretize: false, showTest: false,
  panel: null, microPoint: 0, script: "", edges: [], neuronCanvases: [], outputCanvases: [], hoverNeuron: null,
  lastTrainSent: 0,
};

// ---------------------------------------------------------------- colours and pictures

const NEUTRAL = [232, 234, 235];
const DIVERGING = (() => {  // byte 0 = -1 (orange) .. 255 = +1 (blue), through light grey
  const table = new Array(256);
  for (let i = 0; i < 256; i++) {
    const v = i / 127.5 - 1;
    const end = v < 0 ? CLASS_COLOURS[0] : CLASS_COLOURS[1];
    const t = Math.min(1, Math.abs(v));
    table[i] = NEUTRAL.map((n, k) => Math.round(n + (end[k] - n) * t));
  }
  return table;
})();

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function paintBytes(canvas, bytes, size, colourOf) {
  canvas.width = size; canvas.height = size;
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const c = colourOf(bytes, i);
    image.data[4 * i] = c[0]; image.data[4 * i + 1] = c[1]; image.data[4 * i + 2] = c[2]; image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

function heatmapColour(bytes, i) { return DIVERGING[bytes[i]]; }

function outputColourOf(setup, discretize) {
  const classes = setup.n_outputs;
  if (setup.settings.task === "regression") {
    return discretize ? (b, i) => DIVERGING[b[i] >= 128 ? 255 : 0] : heatmapColour;
  }
  if (classes === 1) {
    return discretize ? (b, i) => DIVERGING[b[i] >= 128 ? 230 : 25] : heatmapColour;
  }
  return (b, i) => {  // mix the class colours by probability, paler where the network is unsure
    let best = 0;
    for (let c = 1; c < classes; c++) if (b[i * classes + c] > b[i * classes + best]) best = c;
    if (discretize) return mix(NEUTRAL, CLASS_COLOURS[best], 0.75);
    const colour = [0, 0, 0];
    for (let c = 0; c < classes; c++) {
      const p = b[i * classes + c] / 255;
      for (let k = 0; k < 3; k++) colour[k] += p * CLASS_COLOURS[c][k];
    }
    const confidence = (b[i * classes + best] / 255 - 1 / classes) / (1 - 1 / classes);
    return mix(NEUTRAL, colour, 0.25 + 0.75 * confidence);
  };
}

function mix(a, b, t) { return a.map((x, k) => Math.round(x + (b[k] - x) * t)); }

function pointColour(setup, label) {
  if (setup.settings.task === "regression") return DIVERGING[Math.max(0, Math.min(255, Math.round((label + 1) * 127.5)))];
  return CLASS_COLOURS[label % CLASS_COLOURS.length];
}

const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

// ---------------------------------------------------------------- connection

function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  state.ws = ws;
  ws.onopen = () => setStatus("Connected: training runs in scratchgrad on the server, this page draws.");
  ws.onclose = () => {
    state.playing = false; updatePlayButton();
    setStatus("Disconnected from the server. ");
    const again = document.createElement("button");
    again.textContent = "Reconnect";
    again.addEventListener("click", () => { $("error").hidden = true; connect(); });
    $("status").appendChild(again);
  };
  ws.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { showError("The server sent something unreadable."); return; }
    const handler = HANDLERS[message.type];
    if (handler) handler(message);
  };
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function configure(changes) { send({type: "configure", settings: changes}); }

const HANDLERS = {
  welcome(message) {
    state.limits = message.limits;
    state.defaults = message.defaults;
    if (state.settings) {  // a reconnection: a new session with the setup on screen (an upload must be redone)
      const {dataset, ...rest} = state.settings;
      configure(dataset === "csv" ? rest : state.settings);
    } else if (state.urlSettings && Object.keys(state.urlSettings).length) {
      configure(state.urlSettings);
    }
  },
  setup(message) {
    state.setup = message;
    state.settings = message.settings;
    state.history = [];
    state.script = "";
    showSettings();
    buildNetwork();
    updateUrl();
    $("dataset-title").textContent = "Data: " + message.dataset_title + " · " + message.train_points.length +
      " training and " + message.test_points.length + " test points";
    drawLegend();
  },
  frame(message) {
    if (message.cause === "train") state.awaitingTrain = false;
    state.frame = message;
    for (const point of message.history) state.history.push(point);
    if (state.history.length > 10000) {  // a long run: keep every other point (and the last) for the curve
      state.history = state.history.filter((_, k) => k % 2 === 0 || k === state.history.length - 1);
    }
    $("epoch").textContent = String(message.epoch).padStart(3, "0");
    $("train-loss").textContent = formatLoss(message.train_loss);
    $("test-loss").textContent = formatLoss(message.test_loss);
    drawBoundary();
    drawLossCurve();
    drawNeurons();
    drawWeights();
    if (message.micrograd) {
      if (message.micrograd.point !== undefined) state.microPoint = message.micrograd.point;
      drawMicrograd(message.micrograd);
    }
    if (message.script !== undefined && message.script !== state.script) {
      state.script = message.script;
      $("code").textContent = message.script;
    }
    if (message.diverged && state.playing) {
      togglePlay(false);
      showError("Training diverged (the loss is not a number). Lower the learning rate, then press Reset.");
    }
    if (state.playing) {  // the next epoch after this frame is drawn, at most 60 a second (fast screens too)
      const wait = Math.max(0, state.lastTrainSent + 1000 / 60 - performance.now());
      setTimeout(() => requestAnimationFrame(trainOnce), wait);
    }
  },
  error(message) {
    if (message.cause === "train" || message.cause == null) state.awaitingTrain = false;
    if (state.playing) togglePlay(false);
    showError(message.message);
  },
  download(message) {
    const bytes = decode(message.base64);
    saveBlob(new Blob([bytes], {type: message.mime}), message.filename);
    setStatus(`Exported ${message.filename} (${bytes.length.toLocaleString()} bytes).`);
  },
  closed(message) {
    state.playing = false; updatePlayButton();
    showError(message.reason);
  },
};

function formatLoss(x) { return x === null || x === undefined ? "diverged" : x.toFixed(3); }
function setStatus(text) { $("status").textContent = text; }
function showError(text) { $("error-text").textContent = text; $("error").hidden = false; }

function saveBlob(blob, filename) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

// ---------------------------------------------------------------- training controls

function trainOnce() {
  if (state.awaitingTrain || !state.playing) return;
  state.awaitingTrain = true;
  state.lastTrainSent = performance.now();
  send({type: "train", epochs: 1, playing: true});
}

function togglePlay(play) {
  const wasPlaying = state.playing;
  state.playing = play === undefined ? !state.playing : play;
  updatePlayButton();
  if (state.playing) trainOnce();
  else if (wasPlaying && state.panel === "code") send({type: "code", open: true});  // the script as of now
}

function updatePlayButton() {
  const button = $("play");
  button.setAttribute("aria-label", state.playing ? "Pause" : "Play");
  button.innerHTML = `<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path fill="currentColor" ` +
    `d="${state.playing ? "M6 5h4v14H6zM14 5h4v14h-4z" : "M8 5v14l11-7z"}"/></svg>`;
  button.classList.toggle("playing", state.playing);
}

// ---------------------------------------------------------------- settings <-> controls

function showSettings() {
  const s = state.settings;
  for (const id of ["activation", "optimizer", "regularization", "task"]) $(id).value = s[id];
  setSelectNumber("lr", s.lr);
  setSelectNumber("regularization_rate", s.regularization_rate);
  setSlider("train_fraction", Math.round(s.train_fraction * 100), Math.round(s.train_fraction * 100) + "%");
  setSlider("noise", Math.round(s.noise * 100), String(Math.round(s.noise * 100)));
  setSlider("batch_size", s.batch_size, String(s.batch_size));
  setSlider("n_points", s.n_points, String(s.n_points));
  $("n_points").disabled = $("noise").disabled = s.dataset === "csv";  // your data is as it is
  const datasets = (s.task === "classification" ? CLASSIFICATION : REGRESSION).slice();
  if (state.setup.csv_loaded && state.setup.csv_task === s.task) datasets.push("csv");
  const box = $("datasets");
  box.replaceChildren(...datasets.map((name) => {
    const button = document.createElement("button");
    button.textContent = DATASET_NAMES[name];
    button.setAttribute("aria-pressed", String(name === s.dataset));
    button.addEventListener("click", () => configure({dataset: name}));
    return button;
  }));
  $("layer-count").textContent = `${s.hidden.length} hidden layer${s.hidden.length === 1 ? "" : "s"}`;
  const limits = state.limits || {max_layers: 6, max_neurons: 8};
  $("add-layer").disabled = s.hidden.length >= limits.max_layers;
  $("remove-layer").disabled = s.hidden.length === 0;
  $("micrograd-point").max = state.setup.train_points.length - 1;
}

function setSelectNumber(id, value) {
  const select = $(id);
  const match = [...select.options].find((o) => Number(o.value) === value);
  if (!match) select.add(new Option(String(value), String(value)));
  select.value = match ? match.value : String(value);
}

function setSlider(id, value, text) {
  const input = $(id);
  if (Number(input.max) < value) input.max = value;
  input.value = value;
  $(id + "-value").textContent = text;
}

function wireControls() {
  $("play").addEventListener("click", () => togglePlay());
  document.addEventListener("keydown", (event) => {  // space plays and pauses, unless typing somewhere
    if (event.key !== " " || event.target.closest("input, select, textarea, button, [role=button]")) return;
    event.preventDefault();
    togglePlay();
  });
  $("step").addEventListener("click", () => { togglePlay(false); send({type: "train", epochs: 1}); });
  $("reset").addEventListener("click", () => send({type: "reset"}));
  $("regenerate").addEventListener("click", () => send({type: "regenerate"}));
  $("error-close").addEventListener("click", () => { $("error").hidden = true; });
  for (const id of ["activation", "optimizer", "regularization"]) {
    $(id).addEventListener("change", () => configure({[id]: $(id).value}));
  }
  for (const id of ["lr", "regularization_rate"]) {
    $(id).addEventListener("change", () => configure({[id]: Number($(id).value)}));
  }
  $("task").addEventListener("change", () => {
    const task = $("task").value;
    configure({task, dataset: task === "classification" ? "circle" : "plane"});
  });
  const sliders = {train_fraction: (v) => v / 100, noise: (v) => v / 100, batch_size: (v) => v, n_points: (v) => v};
  for (const [id, convert] of Object.entries(sliders)) {
    $(id).addEventListener("input", () => {
      $(id + "-value").textContent = id === "train_fraction" ? $(id).value + "%" : $(id).value;
    });
    $(id).addEventListener("change", () => configure({[id]: convert(Number($(id).value))}));
  }
  $("add-layer").addEventListener("click", () => {
    const hidden = state.settings.hidden.slice();
    hidden.push(2);
    configure({hidden});
  });
  $("remove-layer").addEventListener("click", () => configure({hidden: state.settings.hidden.slice(0, -1)}));
  $("show-test").addEventListener("change", () => { state.showTest = $("show-test").checked; drawBoundary(); updateUrl(); });
  $("discretize").addEventListener("change", () => { state.discretize = $("discretize").checked; drawBoundary(); updateUrl(); });
  $("csv-file").addEventListener("change", uploadCsv);
  $("boundary").addEventListener("click", pickPoint);
  $("micrograd-point").addEventListener("change", () => chooseMicrogradPoint(Number($("micrograd-point").value)));
  for (const name of ["code", "micrograd", "share"]) {
    $("tab-" + name).addEventListener("click", () => openPanel(state.panel === name ? null : name));
  }
  $("copy-code").addEventListener("click", () => navigator.clipboard.writeText(state.script));
  $("download-code").addEventListener("click", () =>
    saveBlob(new Blob([state.script], {type: "text/x-python"}), "playground_run.py"));
  $("copy-url").addEventListener("click", () => navigator.clipboard.writeText($("share-url").value));
  for (const box of document.querySelectorAll(".hide-parts input")) box.addEventListener("change", updateUrl);
  for (const what of ["model", "run", "replay"]) {
    $("export-" + what).addEventListener("click", () => send({type: "export", what}));
  }
}

function uploadCsv() {
  const file = $("csv-file").files[0];
  if (!file) return;
  const limit = state.limits ? state.limits.max_csv_bytes : Infinity;
  if (file.size > limit) {
    showError(`${file.name} is ${file.size.toLocaleString()} bytes; the playground takes CSV files up to ` +
      `${limit.toLocaleString()} bytes.`);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => send({type: "upload", filename: file.name, text: reader.result, task: state.settings.task});
  reader.readAsText(file);
  $("csv-file").value = "";
}

function openPanel(name) {
  state.panel = name;
  for (const other of ["code", "micrograd", "share"]) {
    $("panel-" + other).hidden = other !== name;
    $("tab-" + other).setAttribute("aria-pressed", String(other === name));
  }
  send({type: "code", open: name === "code"});
  send({type: "micrograd", point: name === "micrograd" ? state.microPoint : null});
  if (name === "share") updateUrl();
}

// ---------------------------------------------------------------- URL state

function readUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  const settings = {};
  for (const [key, value] of params) {
    if (INTEGER_SETTINGS.includes(key) || NUMBER_SETTINGS.includes(key)) settings[key] = Number(value);
    else if (key === "hidden") settings.hidden = value === "" ? [] : value.split(",").map(Number);
    else if (key === "features") settings.features = value === "" ? [] : value.split(",");
    else if (TEXT_SETTINGS.includes(key)) settings[key] = value;
  }
  if (settings.dataset === "csv") {  // the data itself is not in the link
    delete settings.dataset;
    showError("This link was made with an uploaded CSV, which links cannot carry: upload it again.");
  }
  state.urlSettings = settings;
  state.discretize = params.get("discretize") === "1";
  state.showTest = params.get("show_test") === "1";
  state.hide = (params.get("hide") || "").split(",").filter((part) => HIDEABLE.includes(part));
  $("discretize").checked = state.discretize;
  $("show-test").checked = state.showTest;
  for (const box of document.querySelectorAll(".hide-parts input")) box.checked = state.hide.includes(box.value);
  for (const element of document.querySelectorAll("[data-part]")) {
    element.hidden = state.hide.includes(element.dataset.part);
  }
}

function updateUrl() {
  if (!state.settings) return;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state.settings)) {
    if (key === "dataset" && value === "csv") continue;
    params.set(key, LIST_SETTINGS.includes(key) ? value.join(",") : String(value));
  }
  if (state.discretize) params.set("discretize", "1");
  if (state.showTest) params.set("show_test", "1");
  const hide = [...document.querySelectorAll(".hide-parts input:checked")].map((box) => box.value);
  const shared = new URLSearchParams(params);
  if (hide.length) shared.set("hide", hide.join(","));
  if (state.hide.length) params.set("hide", state.hide.join(","));
  history.replaceState(null, "", "#" + params.toString());
  $("share-url").value = location.origin + location.pathname + "#" + shared.toString();
}

// ---------------------------------------------------------------- the network picture

function buildNetwork() {
  const network = $("network");
  const svg = $("edges");
  for (const old of network.querySelectorAll(".node, .layer-header")) old.remove();
  svg.replaceChildren();
  const s = state.settings;
  const sizes = [...s.hidden, state.setup.n_outputs];
  const columns = sizes.length + 1;
  const width = Math.max(network.clientWidth, 80 * columns + 90);  // scrolls sideways only when very deep
  const left = 70, right = width - NODE - 16;
  const x = (c) => left + (right - left) * c / (columns - 1);
  const top = 46;
  const tallest = Math.max(FEATURE_NAMES.length, ...sizes);
  network.style.height = (top + tallest * ROW + 10) + "px";
  network.style.width = width + "px";
  svg.setAttribute("width", width);
  svg.setAttribute("height", top + tallest * ROW + 10);

  // column 0: every feature, on or off; the network's inputs are the ones on, in this order
  const positions = [[]];
  FEATURE_NAMES.forEach((name, row) => {
    const on = s.features.includes(name);
    const node = makeNode(x(0), top + row * ROW, "feature" + (on ? "" : " off"));
    node.title = `${FEATURE_TITLES[name]}: click to ${on ? "leave it out" : "feed it in"}`;
    node.setAttribute("role", "button");
    node.setAttribute("aria-label", `Feature ${FEATURE_TITLES[name]} ${on ? "on" : "off"}`);
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = FEATURE_TITLES[name];
    node.appendChild(label);
    paintFeature(node.querySelector("canvas"), name);
    const toggle = () => configure({features: on ? s.features.filter((f) => f !== name) : [...s.features, name]});
    node.tabIndex = 0;
    node.addEventListener("click", toggle);
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); }
    });
    if (on) positions[0].push([x(0), top + row * ROW]);
  });

  // hidden layers and the output
  state.neuronCanvases = [];
  sizes.forEach((size, index) => {
    const column = index + 1;
    const canvases = [];
    const placed = [];
    for (let row = 0; row < size; row++) {
      const isOutput = index === sizes.length - 1;
      const node = makeNode(x(column), top + row * ROW, isOutput ? "output-node" : "neuron");
      node.title = isOutput ? `output ${row + 1}` : `layer ${column}, neuron ${row + 1}`;
      node.dataset.name = node.title;
      if (!isOutput) {  // hovering a neuron shows its output over the whole plane, large
        node.addEventListener("mouseenter", () => { state.hoverNeuron = [index, row]; drawBoundary(); });
        node.addEventListener("mouseleave", () => { state.hoverNeuron = null; drawBoundary(); });
      }
      canvases.push(node.querySelector("canvas"));
      placed.push([x(column), top + row * ROW]);
    }
    positions.push(placed);
    if (index < sizes.length - 1) {
      state.neuronCanvases.push(canvases);
      addLayerHeader(x(column), index, size);
    } else {
      state.outputCanvases = canvases;
      const header = document.createElement("div");
      header.className = "layer-header";
      header.style.left = (x(column) + NODE / 2 - 45) + "px";
      header.style.top = "8px";
      header.textContent = "output";
      network.appendChild(header);
    }
  });

  // one path per weight, from the right edge of a node to the left edge of the next
  state.edges = [];
  for (let layer = 0; layer < sizes.length; layer++) {
    const from = positions[layer], to = positions[layer + 1];
    const fromNames = layer === 0 ? FEATURE_NAMES.filter((f) => s.features.includes(f)).map((f) => FEATURE_TITLES[f])
      : from.map((_, i) => `neuron ${layer}.${i + 1}`);
    const row = [];
    from.forEach(([x0, y0], i) => {
      const edges = [];
      to.forEach(([x1, y1], j) => {
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        const a = x0 + NODE, b = y0 + NODE / 2, c = x1, d = y1 + NODE / 2, m = (a + c) / 2;
        path.setAttribute("d", `M${a},${b} C${m},${b} ${m},${d} ${c},${d}`);
        path.dataset.name = `${fromNames[i]} → ${layer === sizes.length - 1 ? "output" : `neuron ${layer + 1}.${j + 1}`}`;
        path.addEventListener("mousemove", showEdgeTooltip);
        path.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
        svg.appendChild(path);
        edges.push(path);
      });
      row.push(edges);
    });
    state.edges.push(row);
  }
}

function makeNode(x, y, kind) {
  const node = document.createElement("div");
  node.className = "node " + kind;
  node.style.left = x + "px";
  node.style.top = y + "px";
  const canvas = document.createElement("canvas");
  canvas.style.width = NODE + "px";
  canvas.style.height = NODE + "px";
  node.appendChild(canvas);
  $("network").appendChild(node);
  return node;
}

function addLayerHeader(x, index, size) {
  const header = document.createElement("div");
  header.className = "layer-header";
  header.style.left = (x + NODE / 2 - 45) + "px";
  header.style.top = "0px";
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.dataset.part = "network";
  if (state.hide.includes("network")) buttons.hidden = true;
  const change = (delta, label, text) => {
    const button = document.createElement("button");
    button.className = "round tiny";
    button.textContent = text;
    button.setAttribute("aria-label", `${label} layer ${index + 1}`);
    button.addEventListener("click", () => {
      const hidden = state.settings.hidden.slice();
      hidden[index] = size + delta;
      configure({hidden});
    });
    buttons.appendChild(button);
    return button;
  };
  const limits = state.limits || {max_neurons: 8};
  change(+1, "Add a neuron to", "+").disabled = size >= limits.max_neurons;
  change(-1, "Remove a neuron from", "−").disabled = size <= 1;
  header.appendChild(buttons);
  const text = document.createElement("div");
  text.textContent = `${size} neuron${size === 1 ? "" : "s"}`;
  header.appendChild(text);
  $("network").appendChild(header);
}

function paintFeature(canvas, name) {  // the feature over the plane, computed here: it never changes
  const size = 32, values = new Float64Array(size * size);
  let scale = 1e-12;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const x1 = -6 + (c + 0.5) * 12 / size, x2 = 6 - (r + 0.5) * 12 / size;
      const v = FEATURE_FUNCTIONS[name](x1, x2);
      values[r * size + c] = v;
      scale = Math.max(scale, Math.abs(v));
    }
  }
  const bytes = values.map((v) => Math.round((v / scale + 1) * 127.5));
  paintBytes(canvas, bytes, size, heatmapColour);
}

function drawNeurons() {
  const frame = state.frame;
  frame.neurons.forEach((layer, l) => layer.forEach((neuron, j) => {
    const canvas = state.neuronCanvases[l] && state.neuronCanvases[l][j];
    if (canvas) paintBytes(canvas, decode(neuron.data), frame.thumbnail_size, heatmapColour);
  }));
  if (state.outputCanvases && state.outputCanvases.length) {  // the output node: the boundary, small
    const grid = state.setup.grid, bytes = decode(frame.output);
    const colour = outputColourOf(state.setup, state.discretize);
    if (state.setup.n_outputs === 1) paintBytes(state.outputCanvases[0], bytes, grid, colour);
    else state.outputCanvases.forEach((canvas, c) =>  // one picture per class: its probability
      paintBytes(canvas, bytes, grid, (b, i) => mix(NEUTRAL, CLASS_COLOURS[c], b[i * state.setup.n_outputs + c] / 255)));
  }
}

function drawWeights() {
  state.frame.weights.forEach((layer, l) => {
    const canvases = l < state.neuronCanvases.length ? state.neuronCanvases[l] : state.outputCanvases;
    layer.bias.forEach((b, j) => {  // each neuron's bias, on hover
      const node = canvases && canvases[j] && canvases[j].parentElement;
      if (node) node.title = `${node.dataset.name} · bias ${b.toFixed(4)}`;
    });
    const rows = state.edges[l];
    if (!rows) return;
    layer.weight.forEach((row, i) => row.forEach((w, j) => {
      const path = rows[i] && rows[i][j];
      if (!path) return;
      const size = Math.abs(w);
      path.setAttribute("stroke", rgb(w >= 0 ? CLASS_COLOURS[1] : CLASS_COLOURS[0]));
      path.setAttribute("stroke-width", Math.min(8, 0.5 + 2.5 * size).toFixed(2));
      path.setAttribute("stroke-opacity", Math.min(1, 0.25 + 0.6 * size).toFixed(2));
      path.dataset.weight = w;
    }));
  });
}

function showEdgeTooltip(event) {
  const tip = $("tooltip");
  const path = event.currentTarget;
  tip.textContent = `${path.dataset.name}: weight ${Number(path.dataset.weight).toFixed(4)}`;
  tip.style.left = (event.clientX + 12) + "px";
  tip.style.top = (event.clientY + 12) + "px";
  tip.hidden = false;
}

// ---------------------------------------------------------------- output: boundary, points, losses

const offscreen = document.createElement("canvas");

function drawBoundary() {
  if (!state.frame || !state.setup) return;
  const canvas = $("boundary"), context = canvas.getContext("2d");
  const setup = state.setup;
  const hovered = state.hoverNeuron && state.frame.neurons[state.hoverNeuron[0]] &&
    state.frame.neurons[state.hoverNeuron[0]][state.hoverNeuron[1]];
  if (hovered) paintBytes(offscreen, decode(hovered.data), state.frame.thumbnail_size, heatmapColour);
  else paintBytes(offscreen, decode(state.frame.output), setup.grid, outputColourOf(setup, state.discretize));
  const ratio = window.devicePixelRatio || 1, size = 300;
  canvas.width = size * ratio; canvas.height = size * ratio;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(offscreen, 0, 0, size, size);
  const place = (v) => (v + setup.domain) / (2 * setup.domain) * size;
  const drawPoints = (points, outline) => {
    for (const [x1, x2, label] of points) {
      context.beginPath();
      context.arc(place(x1), size - place(x2), 3, 0, 2 * Math.PI);
      context.fillStyle = rgb(pointColour(setup, label));
      context.fill();
      context.lineWidth = 1;
      context.strokeStyle = outline;
      context.stroke();
    }
  };
  drawPoints(setup.train_points, "white");
  if (state.showTest) drawPoints(setup.test_points, "black");
  if (state.panel === "micrograd" && setup.train_points[state.microPoint]) {
    const [x1, x2] = setup.train_points[state.microPoint];
    context.beginPath();
    context.arc(place(x1), size - place(x2), 7, 0, 2 * Math.PI);
    context.lineWidth = 2;
    context.strokeStyle = "#111";
    context.stroke();
  }
}

function drawLossCurve() {
  const canvas = $("loss-curve"), context = canvas.getContext("2d");
  const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 300, height = 70;
  canvas.width = width * ratio; canvas.height = height * ratio;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const points = state.history;
  if (points.length < 2) return;
  let top = 0;
  for (const [, a, b] of points) top = Math.max(top, a || 0, b || 0);
  top = top || 1;
  const last = points[points.length - 1][0], first = points[0][0];
  const line = (index, colour) => {
    context.beginPath();
    points.forEach((p, k) => {
      const x = (p[0] - first) / Math.max(1, last - first) * (width - 2) + 1;
      const y = height - 2 - (p[index] === null ? top : p[index]) / top * (height - 4);
      if (k === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.strokeStyle = colour;
    context.lineWidth = 1.5;
    context.stroke();
  };
  line(1, "#9aa4ad");
  line(2, "#1e2429");
}

function drawLegend() {
  const setup = state.setup, legend = $("legend");
  const items = [];
  if (setup.settings.task === "regression") {
    items.push(["target −1", CLASS_COLOURS[0]], ["target +1", CLASS_COLOURS[1]]);
  } else {
    setup.classes.forEach((name, c) => items.push([`class ${name}`, CLASS_COLOURS[c % CLASS_COLOURS.length]]));
  }
  legend.replaceChildren(...items.map(([text, colour]) => {
    const span = document.createElement("span");
    const dot = document.createElement("i");
    dot.style.background = rgb(colour);
    span.append(dot, text);
    return span;
  }));
}

function pickPoint(event) {  // the micrograd view follows the training point nearest the click
  if (!state.setup || state.hide.includes("micrograd")) return;
  const rect = $("boundary").getBoundingClientRect(), domain = state.setup.domain;
  const x1 = (event.clientX - rect.left) / rect.width * 2 * domain - domain;
  const x2 = domain - (event.clientY - rect.top) / rect.height * 2 * domain;
  let best = 0, bestDistance = Infinity;
  state.setup.train_points.forEach(([a, b], i) => {
    const d = (a - x1) ** 2 + (b - x2) ** 2;
    if (d < bestDistance) { best = i; bestDistance = d; }
  });
  if (state.panel !== "micrograd") openPanel("micrograd");
  chooseMicrogradPoint(best);
}

function chooseMicrogradPoint(index) {
  const count = state.setup ? state.setup.train_points.length : 1;
  state.microPoint = Math.max(0, Math.min(count - 1, Math.round(index) || 0));
  $("micrograd-point").value = state.microPoint;
  send({type: "micrograd", point: state.microPoint});
}

// ---------------------------------------------------------------- the micrograd view

function drawMicrograd(graph) {
  const svg = $("micrograd");
  const info = $("micrograd-info");
  svg.replaceChildren();
  if (graph.error) {
    info.textContent = graph.error;
    svg.setAttribute("width", 0); svg.setAttribute("height", 0);
    return;
  }
  const label = state.setup.classes ? `class ${state.setup.classes[graph.target]}` : `target ${graph.target.toFixed(3)}`;
  info.textContent = `Training point ${graph.point}: x = (${graph.x.map((v) => v.toFixed(2)).join(", ")}), ${label}. ` +
    `${graph.nodes.length} nodes; the loss of this point is the last one.`;
  const W = 118, H = 44, columnGap = 150, rowGap = 52;
  const position = {};
  for (const node of graph.nodes) position[node.id] = [12 + node.column * columnGap, 8 + node.row * rowGap];
  const width = 12 + (Math.max(...graph.nodes.map((n) => n.column)) + 1) * columnGap;
  const height = 16 + (Math.max(...graph.nodes.map((n) => n.row)) + 1) * rowGap;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const ns = "http://www.w3.org/2000/svg";
  for (const [from, to] of graph.edges) {
    const [a, b] = position[from], [c, d] = position[to];
    const path = document.createElementNS(ns, "path");
    const m = (a + W + c) / 2;
    path.setAttribute("d", `M${a + W},${b + H / 2} C${m},${b + H / 2} ${m},${d + H / 2} ${c},${d + H / 2}`);
    path.setAttribute("class", "link");
    svg.appendChild(path);
  }
  for (const node of graph.nodes) {
    const [x, y] = position[node.id];
    const group = document.createElementNS(ns, "g");
    group.setAttribute("transform", `translate(${x},${y})`);
    const box = document.createElementNS(ns, "rect");
    box.setAttribute("width", W); box.setAttribute("height", H); box.setAttribute("rx", 4);
    box.setAttribute("class", "box " + (node.kind === "operation" ? "op" : node.kind));
    const title = node.op ? (node.label ? `${node.op} · ${node.label}` : node.op) : (node.label || "const");
    group.appendChild(box);
    [[title, "#1e2429"], [`data ${fmt(node.data)}`, "#1e2429"],
     [`grad ${fmt(node.grad)}`, node.grad > 0 ? "#0877bd" : node.grad < 0 ? "#c66b00" : "#6b737b"]]
      .forEach(([text, colour], k) => {
        const t = document.createElementNS(ns, "text");
        t.setAttribute("x", 6); t.setAttribute("y", 13 + k * 13); t.setAttribute("fill", colour);
        t.textContent = text;
        group.appendChild(t);
      });
    svg.appendChild(group);
  }
}

function fmt(x) { return x === null ? "nan" : (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(4)); }

// ---------------------------------------------------------------- start

readUrl();
wireControls();
connect();
// a link pasted into this tab that differs only after "#" does not reload the page: apply it
window.addEventListener("hashchange", () => {
  readUrl();
  configure({...state.defaults, ...state.urlSettings});  // what the link does not say is the default
});
