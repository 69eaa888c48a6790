// quantviz: the browser follows the bit slider before the server does.
//
// Streamlit's bit slider (key "bits") changes in the browser at once; its value then goes to
// the server, which reruns the lesson (the rest of the page, the rooms, the link). This script
// makes the lesson's picture and main numbers follow the slider in the same animation frame:
//
// * when the slider is on a width the server sent ahead (`widths`), it puts that width on
//   the document's root element (its `value`) and tells the charts with the event
//   "quantviz-bits": the histograms bind a Vega-Lite param to it (quantviz_app/charts.py,
//   follow_params) and draw that width from the data they hold;
// * it writes the cards' values at that width (computed by the server for every width sent
//   ahead: quantviz_app/views/numbers.py, ahead_values) into the lesson's cards. The server
//   draws the same values when it follows, so nothing disagrees once it has.
//
// On a width not sent ahead it changes nothing: the picture and the numbers stay together on
// the last width it had, until the server follows. It watches the page for any change (the
// slider by keyboard or pointer, a run of the server that redraws a card) and is idempotent:
// it writes only what differs from the slider's width.

const EVENT = "quantviz-bits";
const SLIDER = ".st-key-bits input[type='range']";
const CARDS = [".st-key-numbers", ".st-key-classroom"]
  .map((box) => `${box} [data-testid='stMetric']`).join(", ");

function follow(state) {
  const root = document.documentElement;
  const slider = document.querySelector(SLIDER);
  const value = slider ? slider.value : undefined;
  if (value !== undefined && !state.widths.includes(value)) return;  // the server's to draw
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
  const state = (window.quantvizFollow ??= { widths: [], cards: {}, observer: null });
  const cards = (data && data.cards) || {};
  state.widths = (data && data.widths) || [];
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
    if (state.cards === cards) {  // the lesson left the page
      state.cards = {};
      state.widths = [];
    }
  };
}
