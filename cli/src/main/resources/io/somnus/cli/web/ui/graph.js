// The versions graph through Cytoscape.js (window.cytoscape, from its WebJar): parent -> child, base at the top.
const KIND_COLOURS = { base: '#778ca3', wake: '#f7b731', sleep: '#3867d6', rollback: '#eb3b5a' };

export function versionGraph(container, versions, onSelect) {
  const elements = [];
  for (const v of versions) {
    const marks = [v.live ? 'live' : null, v.previous ? 'previous' : null].filter(Boolean).join(', ');
    elements.push({
      data: { id: v.id, label: `${v.id}\n${v.kind}${marks ? ` · ${marks}` : ''}`, kind: v.kind },
      classes: [v.live ? 'live' : '', v.previous ? 'previous' : ''].join(' '),
    });
    if (v.parent && versions.some((p) => p.id === v.parent)) {
      elements.push({ data: { id: `${v.parent}->${v.id}`, source: v.parent, target: v.id } });
    }
  }
  const cy = window.cytoscape({
    container,
    elements,
    wheelSensitivity: 0.2,
    maxZoom: 1.5,
    layout: { name: 'breadthfirst', directed: true, roots: versions.filter((v) => !v.parent).map((v) => v.id), spacingFactor: 0.55, padding: 20 },
    style: [
      {
        selector: 'node',
        style: {
          shape: 'round-rectangle', width: 190, height: 44, label: 'data(label)', 'text-wrap': 'wrap',
          'text-valign': 'center', 'font-size': 11, 'font-family': 'ui-monospace, monospace', color: '#fff',
          'background-color': '#4b6584',
        },
      },
      ...Object.entries(KIND_COLOURS).map(([kind, colour]) => ({ selector: `node[kind = "${kind}"]`, style: { 'background-color': colour } })),
      { selector: 'node.live', style: { 'border-width': 4, 'border-color': '#20bf6b' } },
      { selector: 'node.previous', style: { 'border-width': 3, 'border-style': 'dashed', 'border-color': '#2d3436' } },
      { selector: 'node:selected', style: { 'overlay-color': '#000', 'overlay-opacity': 0.15 } },
      { selector: 'edge', style: { width: 2, 'line-color': '#a5b1c2', 'target-arrow-color': '#a5b1c2', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier' } },
    ],
  });
  cy.on('tap', 'node', (e) => onSelect(e.target.id()));
  // a long history fitted whole would be unreadable: keep labels legible and show the live end; pan for the rest
  if (cy.zoom() < 0.8) {
    cy.zoom(0.8);
    cy.center(cy.$('node.live').length ? cy.$('node.live') : cy.nodes().last());
  }
  return cy;
}

export { KIND_COLOURS };
