// quantviz: the browser follows the bit slider before the server does.
//
// Streamlit's bit slider (key "bits") changes in the browser at once; its value then goes to
// the server, which reruns the lesson (the rest of the page, the rooms, the link). This script
// makes the lesson's picture and main numbers follow the slider in the same animation frame:
//
// * it keeps the slider's value on the document's root element (its `value`) and tells the
//   charts with the event "quantviz-bits": the histograms bind a Vega-Lite param to it
//   (quantviz_app/charts.py, follow_params) and draw the width they hold data for;
// * it writes the cards' values at that width (computed by the server for every width the
//   slider can reach next: quantviz_app/views/numbers.py, ahead_values) into the lesson's
//   cards. The server draws the same values when it follows, so nothing disagrees once it has.
//
// It watches the page for any change (the slider by keyboard or pointer, a run of the server
// that redraws a card) and is idempotent: it writes only what differs from the slider's width.

const EVENT = "quantviz-bits";
const SLIDER = ".st-key-bits input[type='range']";
const CARDS = [".st-key-numbers", ".st-key-classroom"]
  .map((box) => `${box} [data-testid='stMetric']`).join(", ");

function follow(state) {
  const root = document.documentElement;
  const slider = document.querySelector(SLIDER);
  const value = slider ? slider.value : undefined;
  if (root.value !== value) {
    root.value = value;
    root.dispatchEvent(new Event(EVENT));
  }
  const values = value === undefined ? undefined : state.cards[value];
  if (!values) return;
  for (const card of document.querySelectorAll(CARDS)) {
    const label = card.querySelector("[data-testid='stMetricLabel'] p");
    const shown = card.querySelector("[data-testid='stMetricValue'] p");
    const wanted = label ? values[label.textContent.trim()] : undefined;
    if (shown && wanted !== undefined && shown.textContent !== wanted) shown.textContent = wanted;
  }
}

export default function ({ data }) {
  const state = (window.quantvizFollow ??= { cards: {}, observer: null });
  const cards = (data && data.cards) || {};
  state.cards = cards;
  if (!state.observer) {
    state.observer = new MutationObserver(() => follow(state));
    state.observer.observe(document.body, {
      subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ["aria-valuetext"],
    });
  }
  follow(state);
  return () => {
    if (state.cards === cards) state.cards = {};  // the lesson left the page
  };
}
