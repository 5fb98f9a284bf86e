"""Resume state as tensors + JSON comes back exactly: an optimiser restored from it continues bit for bit."""

import torch

from ttvis import statefile


def _trained(steps, state=None):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    gen = torch.Generator().manual_seed(1)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
    for _ in range(steps):
        x = torch.randn(16, 4, generator=gen)
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    return model, opt, gen


def test_state_round_trip_continues_identically(tmp_path):
    model, opt, gen = _trained(3)
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "generator": gen.get_state(),
             "history": [1.5, float("nan"), 2], "note": None}
    statefile.write(tmp_path / "s.pt", state)
    back = statefile.read(tmp_path / "s.pt")
    assert back["history"][0] == 1.5 and back["history"][2] == 2 and back["note"] is None
    assert list(back["optimizer"]["state"]) == list(opt.state_dict()["state"])  # int keys stay ints
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.99)  # tuples stay tuples
    resumed, _, _ = _trained(4, back)
    straight, _, _ = _trained(7)
    for a, b in zip(resumed.parameters(), straight.parameters()):
        assert torch.equal(a, b)
