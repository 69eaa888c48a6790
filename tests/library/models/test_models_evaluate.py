"""Does the shipped model still work when quantized? Accuracy, sizes, pruning, the search.

Expected numbers are written by hand: the float accuracy recorded when the model was
trained (530 of 540 test digits), and sizes counted from the layer shapes:

    conv1 (16, 1, 3, 3) = 144 weights    conv2 (32, 16, 3, 3) = 4,608
    fc1   (64, 128)     = 8,192          fc2   (10, 64)       = 640
    13,584 weights + 122 biases (16 + 32 + 64 + 10) = 13,706 parameters.
"""

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.evaluate import bias_int32, prune_masks
from quantviz.models.forward import conv2d, max_pool

FLOAT_ACCURACY = 530 / 540
N_PARAMS = 13_706
BIAS_BITS = 122 * 32


@pytest.fixture(scope="module")
def model():
    return qv.load_model("digits-cnn")


def test_the_shipped_model_is_listed_and_opens(model):
    assert qv.models() == ("digits-cnn", "minilm-l6")
    assert model.layer_names == ("conv1", "conv2", "fc1", "fc2")
    assert [layer.weight.shape for layer in model.layers] == [
        (16, 1, 3, 3), (32, 16, 3, 3), (64, 128), (10, 64),
    ]  # fmt: skip
    assert model.x_test.shape == (540, 1, 8, 8) and model.x_calib.shape == (256, 1, 8, 8)
    # stratified: each digit's share of the 540 is its share of the 1,797 (within one image)
    per_digit = np.array([178, 182, 177, 183, 181, 182, 181, 179, 174, 180])  # load_digits
    assert np.all(np.abs(np.bincount(model.y_test) - per_digit * 540 / 1797) < 1)
    assert model.x_test.min() == 0 and model.x_test.max() == 1  # pixels / 16
    assert model.info["license"] == "CC BY 4.0"


def test_float_accuracy_is_the_number_recorded_at_training(model):
    r = qv.evaluate(model, bits=8)
    assert r.float_accuracy == FLOAT_ACCURACY
    assert model.float_accuracy_recorded == FLOAT_ACCURACY
    assert (r.float_predictions == model.y_test).sum() == 530


@pytest.mark.parametrize("granularity", ["tensor", "channel"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_8_bit_weights_stay_within_half_a_point(model, granularity, symmetric):
    r = qv.evaluate(model, bits=8, granularity=granularity, symmetric=symmetric)
    assert abs(r.accuracy - FLOAT_ACCURACY) <= 0.005


def test_2_bit_per_tensor_minmax_drops_well_below(model):
    r = qv.evaluate(model, bits=2, granularity="tensor", strategy="minmax")
    assert r.accuracy < 0.5  # 98 % in float; four levels for a whole tensor break it
    # per channel, each filter gets its own four levels: far better, still far from float
    per_channel = qv.evaluate(model, bits=2, granularity="channel")
    assert r.accuracy < per_channel.accuracy < 0.9


def test_bits_per_weight_counts_scales_zero_points_and_32_bit_biases(model):
    r = qv.evaluate(model, bits=8)  # asymmetric per tensor: a scale (32) + zero point (8) each
    assert r.bits_per_weight == pytest.approx((13_584 * 8 + 4 * (32 + 8) + BIAS_BITS) / N_PARAMS)
    assert r.float32_bytes == N_PARAMS * 4
    # symmetric per channel at 4 bits: one 32-bit scale per output channel, no zero points
    r = qv.evaluate(model, bits=4, symmetric=True, granularity="channel")
    scales = (16 + 32 + 64 + 10) * 32
    assert r.bits_per_weight == pytest.approx((13_584 * 4 + scales + BIAS_BITS) / N_PARAMS)
    assert r.per_layer["bits_per_weight"].tolist() == pytest.approx(
        [4 + 16 * 32 / 144, 4 + 32 * 32 / 4608, 4 + 64 * 32 / 8192, 4 + 10 * 32 / 640]
    )


def test_per_layer_table(model):
    r = qv.evaluate(model, bits=4)
    t = r.per_layer
    assert t.columns.tolist() == [
        "layer", "shape", "weights", "setting", "bits_per_weight", "sparsity", "mse",
        "sqnr_db", "accuracy", "drop", "note",
    ]  # fmt: skip
    assert t["layer"].tolist() == ["conv1", "conv2", "fc1", "fc2"]
    assert t["weights"].tolist() == [144, 4608, 8192, 640]
    assert t["setting"].tolist() == ["4 bits"] * 4
    assert (t["sqnr_db"] > 10).all() and (t["sqnr_db"] < 30).all()  # ≈ 6 dB per bit, minus
    # each layer alone loses no more than all of them together (+ one example's noise)
    assert (t["accuracy"] >= r.accuracy - 1 / 540).all()
    assert np.allclose(t["drop"], FLOAT_ACCURACY - t["accuracy"])


def test_mixed_precision_per_layer(model):
    r = qv.evaluate(model, bits=8, per_layer={"fc1": 2, "conv1": None})
    assert r.per_layer["setting"].tolist() == ["float32", "8 bits", "2 bits", "8 bits"]
    conv1 = 144 * 32
    conv2, fc1, fc2 = 4608 * 8 + 40, 8192 * 2 + 34, 640 * 8 + 40
    assert r.bits_per_weight == pytest.approx((conv1 + conv2 + fc1 + fc2 + BIAS_BITS) / N_PARAMS)
    assert r.per_layer.loc[0, "mse"] == 0


def test_pruning_counts_kept_weights_and_a_bitmap(model):
    r = qv.evaluate(model, bits=8, prune=0.5)
    assert r.per_layer["sparsity"].tolist() == [0.5, 0.5, 0.5, 0.5]
    kept = 72 + 2304 + 4096 + 320
    bits = kept * 8 + 13_584 + 4 * 40 + BIAS_BITS  # kept codes, 1-bit map, scales
    assert r.bits_per_weight == pytest.approx(bits / N_PARAMS)
    assert abs(r.accuracy - FLOAT_ACCURACY) < 0.05  # half the weights go, little is lost


def test_global_pruning_uses_one_threshold(model):
    masks = prune_masks(model, 0.5, "global")
    assert sum(int((~m).sum()) for m in masks) == 6_792
    removed = np.concatenate(
        [np.abs(layer.weight)[~m] for layer, m in zip(model.layers, masks, strict=True)]
    )
    kept = np.concatenate(
        [np.abs(layer.weight)[m] for layer, m in zip(model.layers, masks, strict=True)]
    )
    assert removed.max() <= kept.min()
    # one threshold for all: at 70 % the global cut hurts less than 70 % of every layer
    by_layer = qv.evaluate(model, bits=8, prune=0.7, prune_scope="layer", layer_accuracy=False)
    whole = qv.evaluate(model, bits=8, prune=0.7, prune_scope="global", layer_accuracy=False)
    assert whole.accuracy > by_layer.accuracy + 0.1


def test_dynamic_activations_beat_static_at_low_bits(model):
    """Static: one range per layer, calibrated on 256 training images, must hold the
    largest activation any image produces, so for a typical image its values use only a
    few of the 2-bit grid's 4 levels. Dynamic: each image gets the range of its own
    values, so its values spread over all 4. At 2 bits that difference is several
    points of accuracy; at 8 bits (256 levels) both are as good as float."""
    kw = {"bits": 8, "layer_accuracy": False}
    static = qv.evaluate(model, activations={"bits": 2, "mode": "static"}, **kw)
    dynamic = qv.evaluate(model, activations={"bits": 2, "mode": "dynamic"}, **kw)
    assert dynamic.accuracy > static.accuracy + 0.02
    assert static.accuracy < FLOAT_ACCURACY - 0.03
    for mode in ("static", "dynamic"):
        r = qv.evaluate(model, activations={"bits": 8, "mode": mode}, **kw)
        assert abs(r.accuracy - FLOAT_ACCURACY) <= 0.005


def test_activation_strategies_and_batches_are_accepted(model):
    kw = {"bits": 8, "layer_accuracy": False}
    pct = qv.evaluate(
        model, activations={"bits": 4, "strategy": "percentile", "percentile": 99.9}, **kw
    )
    batch = qv.evaluate(model, activations={"bits": 4, "mode": "dynamic", "batch": 100}, **kw)
    assert round(540 * pct.accuracy) == 528  # min-max ranges: 529 of 540
    assert round(540 * batch.accuracy) == 527
    # at 2 bits the batch's range shows: each digit its own range against one per 100 digits
    two = {"bits": 2, "mode": "dynamic"}
    assert round(540 * qv.evaluate(model, activations={**two, "batch": 1}, **kw).accuracy) == 511
    assert round(540 * qv.evaluate(model, activations={**two, "batch": 100}, **kw).accuracy) == 493


def test_bias_is_int32_on_the_scale_of_weight_times_input():
    # scales 0.01·0.1 = 0.001, 0.02·0.1 = 0.002, 0.5·0.1 = 0.05
    b = np.array([0.5, -0.25, 0.001], dtype=np.float32)
    got = bias_int32(b, np.array([0.01, 0.02, 0.5], dtype=np.float32), np.float32(0.1))
    np.testing.assert_allclose(got, [0.5, -0.25, 0.0], atol=1e-7)  # 500, −125, 0 codes
    per_example = bias_int32(b, np.array([0.01, 0.02, 0.5], dtype=np.float32),
                             np.array([0.1, 1.0], dtype=np.float32))  # fmt: skip
    assert per_example.shape == (2, 3)
    # s_x = 1: scales 0.01, 0.02, 0.5; −0.25/0.02 = −12.5 rounds half to even: −12 → −0.24
    np.testing.assert_allclose(per_example[1], [0.5, -0.24, 0.0], atol=1e-6)


def test_conv_and_pool_by_hand():
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    y = conv2d(x, np.ones((1, 1, 3, 3), np.float32), np.zeros(1, np.float32), padding=1)
    # centre: 0+…+8 = 36; top-left corner: 0+1+3+4 = 8; top edge: 0+1+2+3+4+5 = 15
    assert y[0, 0].tolist() == [[8, 15, 12], [21, 36, 27], [20, 33, 24]]
    z = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    assert max_pool(z, 2)[0, 0].tolist() == [[5, 7], [13, 15]]


def test_stochastic_rounding_spread(model):
    s = qv.accuracy_spread(model, bits=3, seeds=[0, 1, 2, 3])
    again = qv.accuracy_spread(model, bits=3, seeds=[0, 1, 2, 3])
    assert s.seeds == (0, 1, 2, 3)
    assert np.array_equal(s.accuracies, again.accuracies)  # reproducible by seed
    assert s.high > s.low  # but not the same from seed to seed
    assert s.low <= s.mean <= s.high and s.std > 0
    assert np.round(np.array(s.accuracies) * 540).tolist() == [502, 499, 503, 432]  # of 540
    assert s.table().columns.tolist() == ["seed", "accuracy"]


def test_accuracy_standard_error_is_the_binomial_one():
    # sqrt(p (1 − p) / n) by hand: 0.9815 · 0.0185 / 540 = 3.3626e-5, whose root is 0.0057988
    assert qv.accuracy_standard_error(0.9815, 540) == pytest.approx(0.0057988, abs=1e-7)
    assert qv.accuracy_standard_error(0.5, 100) == pytest.approx(0.05)  # the largest, at 1/2
    assert qv.accuracy_standard_error(1.0, 540) == 0.0  # all right: nothing to swing
    for bad in [(0.9, 0), (1.5, 540), (0.9, 2.5), (0.9, True)]:
        with pytest.raises(qv.InputError):
            qv.accuracy_standard_error(*bad)


def test_number_formats(model):
    r = qv.evaluate(model, format="fp8_e4m3")
    assert abs(r.accuracy - FLOAT_ACCURACY) <= 0.005
    assert r.per_layer["setting"].tolist() == ["fp8_e4m3"] * 4
    mx = qv.evaluate(model, format="mxfp4", layer_accuracy=False)
    # conv1's rows (9) and conv2's (144) are not whole blocks of 32: flattened and padded
    assert "padded" in mx.per_layer.loc[0, "note"] and "padded" in mx.per_layer.loc[1, "note"]
    assert mx.per_layer.loc[2, "note"] == ""
    # 4-bit elements + an 8-bit scale per 32; conv1's 144 values take 5 blocks (160)
    assert mx.per_layer.loc[2, "bits_per_weight"] == pytest.approx(4 + 8 / 32)
    assert mx.per_layer.loc[0, "bits_per_weight"] == pytest.approx(5 * (32 * 4 + 8) / 144)


def test_fewest_bits_meets_its_own_target(model):
    seen = []
    r = qv.fewest_bits(model, max_drop=0.01, on_step=seen.append)
    assert r.met and r.target == pytest.approx(FLOAT_ACCURACY - 0.01)
    again = qv.evaluate(model, per_layer=r.per_layer)
    assert again.accuracy >= FLOAT_ACCURACY - 0.01
    assert again.accuracy == r.accuracy and again.bits_per_weight == r.bits_per_weight
    assert set(r.per_layer) == {"conv1", "conv2", "fc1", "fc2"}
    assert all(2 <= b <= 8 for b in r.per_layer.values())
    assert r.bits_per_weight < 5  # far below 8-bit everywhere (8.23)
    assert seen == list(r.steps)
    assert r.steps[0].bits == dict.fromkeys(("conv1", "conv2", "fc1", "fc2"), 8)
    accepted = [s for s in r.steps if s.accepted]
    sizes = [s.bits_per_weight for s in accepted]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    assert all(s.within_target for s in accepted)
    assert accepted[-1].bits == r.per_layer


def test_fewest_bits_steps_is_a_generator_of_the_same_search(model):
    steps = list(qv.fewest_bits_steps(model, max_drop=0.05, min_bits=3, max_bits=4))
    assert steps[0].step == 0 and steps[0].bits == dict.fromkeys(model.layer_names, 4)
    assert all(3 <= b <= 4 for s in steps for b in s.bits.values())


def test_a_search_trial_runs_only_the_layers_from_the_one_it_lowers(model, monkeypatch):
    """Issue 16, item 13 (the search took 6.9 s in the page): a trial that lowers layer k
    takes the inputs of the layers before k from the current answer's run; only the
    start runs every layer, and an accepted step runs none (it was a trial already)."""
    from quantviz.models import forward

    qv.evaluate(model, bits=8, layer_accuracy=False)  # the float activations, once
    applied: list[str] = []
    real = forward.apply_layer

    def counted(layer, *args):
        applied.append(layer.name)
        return real(layer, *args)

    monkeypatch.setattr(forward, "apply_layer", counted)
    ran = []
    for step in qv.fewest_bits_steps(model, max_drop=0.05, min_bits=3, max_bits=4):
        ran.append((step.layer, step.accepted, list(applied)))
        applied.clear()
    assert ran[0] == (None, True, ["conv1", "conv2", "fc1", "fc2"])
    from_layer = {"conv1": ["conv1", "conv2", "fc1", "fc2"], "conv2": ["conv2", "fc1", "fc2"],
                  "fc1": ["fc1", "fc2"], "fc2": ["fc2"]}  # fmt: skip
    trials = [(layer, layers) for layer, accepted, layers in ran[1:] if not accepted]
    assert trials and all(layers == from_layer[layer] for layer, layers in trials)
    assert all(layers == [] for _, accepted, layers in ran[1:] if accepted)


def test_every_search_trial_is_the_evaluation_of_its_bits(model):
    """The shortcut changes no number: each trial's accuracy and size are those of
    ``qv.evaluate`` at its bits, computed from the first layer."""
    settings = {"activations": {"bits": 6, "mode": "static"}, "prune": 0.3}
    steps = list(qv.fewest_bits_steps(model, max_drop=0.05, min_bits=3, max_bits=5, **settings))
    assert sum(not s.accepted for s in steps) >= 6
    for s in steps:
        again = qv.evaluate(model, per_layer=s.bits, layer_accuracy=False, **settings)
        assert (s.accuracy, s.bits_per_weight) == (again.accuracy, again.bits_per_weight)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: qv.evaluate(m, bits=0), "bits"),
        (lambda m: qv.evaluate(m, bits="8"), "bits"),
        (lambda m: qv.evaluate("resnet"), "model must be one of"),
        (lambda m: qv.evaluate(m, format="fp5"), "format must be one of"),
        (lambda m: qv.evaluate(m, activations="8 bits"), "activations must be a dict"),
        (lambda m: qv.evaluate(m, activations={"mode": "sometimes"}), "static"),
        (lambda m: qv.evaluate(m, activations={"bits": 0}), "bits"),
        (lambda m: qv.evaluate(m, activations={"mode": "dynamic", "batch": 0}), "batch"),
        (lambda m: qv.evaluate(m, activations={"strategy": "manual"}), "manual"),
        (lambda m: qv.evaluate(m, activations={"mod": "static"}), "not a setting"),
        (lambda m: qv.evaluate(m, activations={"bitz": 4}, layer_accuracy=False), "bitz"),
        (lambda m: qv.evaluate(m, prune=1.0), "below 1"),
        (lambda m: qv.evaluate(m, prune=-0.1), "at least 0"),
        (lambda m: qv.evaluate(m, prune="half"), "prune must be a number"),
        (lambda m: qv.evaluate(m, prune=0.5, prune_scope="row"), "prune_scope"),
        (lambda m: qv.evaluate(m, per_layer={"fc9": 4}), "no layer 'fc9'"),
        (lambda m: qv.evaluate(m, per_layer={"fc1": 4.5}), "per_layer['fc1']"),
        (lambda m: qv.evaluate(m, per_layer=[4, 4]), "per_layer must be a dict"),
        (lambda m: qv.evaluate(m, strategy="best"), "strategy"),
        (lambda m: qv.fewest_bits(m, max_drop=2), "max_drop"),
        (lambda m: qv.fewest_bits(m, min_bits=6, max_bits=4), "min_bits"),
        (lambda m: qv.fewest_bits(m, format="fp8_e4m3"), "format"),
        (lambda m: qv.fewest_bits(m, bits=4), "bits"),
        (lambda m: qv.accuracy_spread(m, rounding="nearest"), "stochastic"),
        (lambda m: qv.accuracy_spread(m, seeds=[]), "seeds"),
        (lambda m: qv.load_model("nope"), "model must be one of"),
    ],
)
def test_bad_inputs_raise_input_error(model, call, message):
    with pytest.raises(qv.InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call(model)
