// Drawing for the playground page: pictures over the plane, points, cost curves, the network.
// Only drawing lives here; every number drawn comes from the server's snapshot.
"use strict";

const ORANGE = [245, 147, 34], BLUE = [8, 119, 189], WHITE = [232, 234, 235];
const NODE = 34, ROW = 44, TOP = 52, LEFT = 64;

// A colour for v in [-1, 1]: orange below 0, blue above.
function colour(v) {
  const t = Math.max(-1, Math.min(1, v));
  const end = t < 0 ? ORANGE : BLUE, a = Math.abs(t);
  return WHITE.map((w, i) => Math.round(w + (end[i] - w) * a));
}

// Paint n x n values (row by row from the top) onto a canvas, mapped by f to [-1, 1].
function heatmap(canvas, values, f) {
  const n = Math.round(Math.sqrt(values.length));
  const small = document.createElement("canvas");
  small.width = small.height = n;
  const c = small.getContext("2d"), img = c.createImageData(n, n);
  values.forEach((v, k) => {
    const [r, g, b] = colour(f(v));
    img.data.set([r, g, b, 255], 4 * k);
  });
  c.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// Values of one unit's picture scaled by their largest magnitude.
function unitScale(values) {
  const top = Math.max(1e-9, ...values.map(Math.abs));
  return (v) => v / top;
}

function drawPoints(canvas, points, extent, ring) {
  const ctx = canvas.getContext("2d"), [x0, x1, y0, y1] = extent;
  for (const [a, b, label] of points) {
    const x = ((a - x0) / (x1 - x0)) * canvas.width;
    const y = ((y1 - b) / (y1 - y0)) * canvas.height;
    ctx.beginPath();
    ctx.arc(x, y, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${(label ? BLUE : ORANGE).join(",")})`;
    ctx.fill();
    ctx.lineWidth = ring ? 1.4 : 0.6;
    ctx.strokeStyle = ring ? "#222" : "#fff";
    ctx.stroke();
  }
}

function drawBoundary(canvas, snap) {
  heatmap(canvas, snap.boundary, (p) => 0.7 * (2 * p - 1)); // lighter, under the points
  drawPoints(canvas, snap.train, snap.extent, false);
  drawPoints(canvas, snap.test, snap.extent, true);
}

function drawCurve(canvas, curve) {
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = "#ccc";
  ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
  const n = curve.epoch.length;
  if (n < 2) return;
  const top = Math.max(1e-9, ...curve.train, ...curve.test);
  const last = curve.epoch[n - 1];
  for (const [key, style] of [["train", "#999"], ["test", "#183d4e"]]) {
    ctx.beginPath();
    curve[key].forEach((v, i) => {
      const x = (curve.epoch[i] / last) * (w - 4) + 2, y = h - 2 - (v / top) * (h - 8);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.strokeStyle = style;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  ctx.fillStyle = "#555";
  ctx.font = "10px sans-serif";
  ctx.fillText(`test (dark), train (grey); max ${top.toFixed(3)}`, 6, 12);
}

// Where node i of column c sits (its top-left corner), for `columns` columns in `width`.
function nodePosition(c, i, columns, width) {
  const gap = (width - LEFT - NODE - 10) / Math.max(1, columns - 1);
  return [LEFT + c * gap, TOP + i * ROW];
}

// Build the diagram's elements for layer sizes (n_0, ..., n_L); returns them for updates.
function buildDiagram(box, sizes, features, handlers) {
  box.innerHTML = "";
  box.style.height = `${TOP + Math.max(3, ...sizes) * ROW + 8}px`;
  const width = box.clientWidth || 560, L = sizes.length - 1;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", box.clientHeight);
  const gap = (width - LEFT - NODE - 10) / Math.max(1, L);
  const columns = [], lines = [];
  for (let c = 0; c <= L; c++) {
    const [x] = nodePosition(c, 0, L + 1, width);
    if (c > 0) {
      const col = document.createElement("div");
      col.className = "layer-column";
      col.dataset.layer = c;
      col.style.left = `${x - gap / 2 + NODE / 2 + 4}px`;
      col.style.width = `${gap - 8}px`;
      col.innerHTML = layerHead(c, L, sizes);
      col.addEventListener("mouseenter", () => handlers.onLayer(c));
      col.querySelectorAll("button").forEach((b) =>
        b.addEventListener("click", () => handlers.onUnits(c, Number(b.dataset.delta))));
      box.appendChild(col);
    }
    columns.push([]);
    for (let i = 0; i < sizes[c]; i++) {
      const [nx, ny] = nodePosition(c, i, L + 1, width);
      const node = document.createElement("canvas");
      node.className = "node";
      node.width = node.height = NODE;
      Object.assign(node.style, { left: `${nx}px`, top: `${ny}px` });
      node.title = c === 0 ? features[i] : `layer ${c}, unit ${i + 1}`;
      if (c > 0) node.addEventListener("mouseenter", () => handlers.onLayer(c));
      box.appendChild(node);
      columns[c].push(node);
      if (c === 0) {
        const label = document.createElement("div");
        label.className = "node-label";
        label.textContent = features[i];
        Object.assign(label.style, { left: `${nx - 62}px`, top: `${ny + 10}px` });
        box.appendChild(label);
      }
    }
  }
  for (let l = 1; l <= L; l++) {
    lines.push([]);
    for (let i = 0; i < sizes[l - 1]; i++) {
      lines[l - 1].push([]);
      for (let j = 0; j < sizes[l]; j++) {
        const [ax, ay] = nodePosition(l - 1, i, L + 1, width);
        const [bx, by] = nodePosition(l, j, L + 1, width);
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", ax + NODE);
        line.setAttribute("y1", ay + NODE / 2);
        line.setAttribute("x2", bx);
        line.setAttribute("y2", by + NODE / 2);
        line.innerHTML = `<title>W_${l}[${i + 1}, ${j + 1}]</title>`;
        svg.appendChild(line);
        lines[l - 1][i].push(line);
      }
    }
  }
  box.prepend(svg);
  return { columns, lines };
}

function layerHead(c, L, sizes) {
  const shape = `<code>W_${c} (${sizes[c - 1]}, ${sizes[c]})</code>`;
  if (c === L) return `output<br>${shape}`;
  return `<button data-delta="1" title="add a unit">+</button>
    <button data-delta="-1" title="remove a unit">&minus;</button> ${sizes[c]} units ${shape}`;
}

// Repaint the unit pictures and the weight lines from a snapshot.
function updateDiagram(diagram, snap) {
  diagram.columns.forEach((nodes, c) => nodes.forEach((node, i) => {
    const values = snap.units[c][i];
    const last = c === diagram.columns.length - 1;
    heatmap(node, values, last ? (p) => 2 * p - 1 : unitScale(values));
  }));
  diagram.lines.forEach((rows, l) => rows.forEach((lineRow, i) => lineRow.forEach((line, j) => {
    const w = snap.W[l][i][j];
    line.setAttribute("stroke", `rgb(${(w < 0 ? ORANGE : BLUE).join(",")})`);
    line.setAttribute("stroke-width", Math.min(8, 0.3 + 1.6 * Math.abs(w)).toFixed(2));
    line.setAttribute("stroke-opacity", "0.8");
  })));
}

window.draw = { drawBoundary, drawCurve, buildDiagram, updateDiagram };
