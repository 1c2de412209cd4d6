from ml.generate import generate_returns
from ml.history import with_desk_view
from ml.ood import OODGate
from scoring.choices import ReasonCode


def test_every_reason_the_ood_gate_writes_is_a_reason_code():
    training = with_desk_view(generate_returns(rows=4_000, scenario="normal", seed=21))
    gate = OODGate(random_state=0).fit(training)
    odd = generate_returns(rows=4, scenario="normal", seed=2).assign(
        payment_method=["Crypto", "Credit Card", "Credit Card", "Credit Card"],
        order_value=[50.0, 1e7, 50.0, -5.0],
        returns_velocity_30d=[0, 0, 90, 0],
    )
    odd = with_desk_view(odd)
    written = {reason["code"] for row in gate.check(odd).reasons for reason in row}
    assert {"ood_unseen_value", "ood_out_of_range"} <= written
    assert written <= set(ReasonCode.values)
