#!/usr/bin/env python3
"""make_golden_rise.py - RISE's training written from the official code's definitions (the
UWRobotLearning robomimic fork's IDQL algorithm and dataset, diffusers' EMA and schedulers),
in PyTorch float64, for two steps of a tiny agent: tests/golden/rise_step.txt, checked by
tests/cpu/test_golden_rise.c against rise's own agent (algorithms/agent_step.c).

Run:  /tmp/torchenv/bin/python tests/golden/make_golden_rise.py [--out tests/golden/rise_step.txt]
(any Python with torch and numpy works). The output is committed; re-run only when the
algorithm changes on purpose.

What is written from the official definitions (and is rise's default):
  data        a tiny dataset (2 expert demos, 3 play trajectories, obs keys pos[2] and
              grip[1], actions [2]); the agent sees observations normalised with the given
              shift/scale, actions as they are.
  relabelling for each play state s (time >= skip_play): the k + 1 nearest expert states
              (time >= skip_expert) by Euclidean distance between L2-normalised RAW
              observations, kept when distance <= threshold and the gripper is exactly equal
              (play->expert); the k + 1 nearest play states (time >= skip_play), kept when
              distance <= threshold and of another trajectory (play->play, no gripper check).
  step 1      a regular step on a batch of transitions (index draws by rise's Philox
              sampler, re-implemented): the critic as IDQL._compute_critic_loss /
              _update_critic: Q target r + gamma (1 - d) V(s') with V BEFORE its update,
              each Q by MSE, V by the expectile of the pre-update target critics' min, Adam on
              every net, Polyak targets (tau); the policy: eps-prediction MSE of the
              denoiser on the observation history (2 frames, each through the spectral MLP
              D -> 16 -> 16 -> D as ObservationEncoder.spectral_net) and the action chunk
              (2 actions), plus lambda * torch.linalg.matrix_norm(W_last, ord=2) (the exact
              sigma_max, as obs_nets.py), the EMA stepped with the weights before the Adam
              step (diffusers EMAModel(power 0.75, use_ema_warmup): decay 0 at update 1),
              then Adam.
  step 2      a relabelled-pair step (RISE's code alternates epochs; here phases of one
              step): a batch of pairs (obs history of s, action chunk of the neighbour), the
              policy update as above (EMA update 2: decay 1 - 2^-0.75), the critic untouched.
  sampling    with the EMA weights after step 2, DDIM (5 of 10 steps) and DDPM (10 steps)
              from given noise as diffusers' DDIMScheduler / DDPMScheduler with
              clip_sample: only the predicted x0 is clipped to [-1, 1] (DDPM: posterior mean
              from the clipped x0, variance beta-tilde).
The denoiser is rise's LN-ResNet (the official U-Net is a separate network choice) with a
sinusoidal time embedding; the diffusion draws (k, eps) are rise's Philox streams,
re-implemented as in make_golden_agent.py.

Written (weights "*.w" in PyTorch's [out, in] layout, ensemble weights [E, out, in]):
  dims, hp.*, rng.*, data.* (raw obs, next_obs, actions, rewards, dones, traj, step,
  expert, norm shift/scale), init.<param> (policy "policy.*", critic "q.*", "v.*"),
  spec.u0, pairs.obs_idx/act_idx, batch0.idx, batch1.pidx,
  s1.* and s2.* (after step 1 and 2: <param> values, ema.<param>, target.<q param>,
  loss_pi, loss_q, loss_v, sigma, grad.<param> (the critic's: step 1)), sample.obs, sample.noise,
  sample.ddim, sample.ddpm.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_writer import Writer  # noqa: E402
from make_golden_agent import below, philox_self_test, rng_normal, rng_word  # noqa: E402

torch.set_default_dtype(torch.float64)


def r32(x):
    return float(np.float32(x))


# ---------------------------------------------------------------- sizes and settings
D, A = 3, 2                      # obs: pos[2], grip[1]
TO, TA = 2, 2                    # observation history, action chunk
B = 6
CRITIC_HIDDEN = [8, 12, 8]       # no LayerNorm (robomimic's MLP)
HID, BLOCKS, EXPAND = 8, 1, 4    # the denoiser (rise's LN-ResNet)
NF, MAX_PERIOD, T = 4, 1000.0, 10
CODE_W = 16
DDIM_STEPS = 5
K_NEIGH, THRESH, SKIP_EXPERT, SKIP_PLAY = 2, 0.1, 1, 2
GAMMA, EXPECTILE, TAU = r32(0.99), r32(0.9), r32(0.01)
CRITIC_LR, POLICY_LR = r32(3e-4), r32(1e-3)
BETA1, BETA2, ADAM_EPS = r32(0.9), r32(0.999), r32(1e-8)
LAMBDA, EMA_POWER, EMA_MAX = r32(0.1), r32(0.75), r32(0.9999)
LN_EPS = 1e-5
SEED = 7
STREAM_SAMPLER, STREAM_PAIRS, STREAM_POLICY = 0x53000000, 0x53400000, 0x41000000
OBS_SHIFT = np.array([0.5, -0.25, 0.0], np.float32)
OBS_SCALE = np.array([2.0, 0.5, 1.0], np.float32)


def f32(t):
    return torch.as_tensor(t).detach().to(torch.float32).to(torch.float64)


# ---------------------------------------------------------------- the dataset
def make_data(gen):
    """Expert demos 0, 1 and play trajectories 2, 3, 4; play passes near the experts. Raw
    values on a 1/64 grid, so the normalisation (power-of-two scales) is exact in float."""
    q = lambda x: np.round(np.asarray(x) * 64.0) / 64.0  # noqa: E731
    lens = [6, 5, 7, 6, 6]
    expert = [1, 1, 0, 0, 0]
    rows = []
    paths = []
    for e in range(2):
        start = np.array([0.2 + 0.3 * e, 0.1 - 0.2 * e])
        step = np.array([0.12, 0.05 + 0.03 * e])
        paths.append([start + t * step for t in range(lens[e])])
    for tr in range(5):
        L = lens[tr]
        for t in range(L):
            if expert[tr]:
                pos = paths[tr][t]
                grip = 0.25 if t < 3 else 0.25 + 1.0 / 64  # a gripper reading: close values
            else:
                # play near an expert path, with noise, some far away
                src = paths[(tr + t) % 2]
                base = src[min(t, len(src) - 1)]
                pos = base + gen.normal(0.0, 0.02 if t % 3 else 0.3, size=2)
                grip = 0.25 if (t + tr) % 4 < 2 else 0.25 + 1.0 / 64
            rows.append((tr, t, q(pos), grip))
    n = len(rows)
    obs = np.zeros((n, D), np.float32)
    for i, (_, _, pos, grip) in enumerate(rows):
        obs[i, :2] = pos
        obs[i, 2] = grip
    traj = np.array([r[0] for r in rows], np.int32)
    step = np.array([r[1] for r in rows], np.int32)
    is_exp = np.array([expert[r[0]] for r in rows], np.int32)
    nxt = np.zeros_like(obs)
    for i in range(n):
        if i + 1 < n and traj[i + 1] == traj[i]:
            nxt[i] = obs[i + 1]
        else:
            nxt[i, :2] = q(obs[i, :2] + gen.normal(0.0, 0.05, size=2))
            nxt[i, 2] = obs[i, 2]
    act = q(gen.uniform(-0.9, 0.9, size=(n, A))).astype(np.float32)
    rew = is_exp.astype(np.float32)
    done = np.zeros(n, np.float32)
    for i in range(n):
        if is_exp[i] and (i + 1 == n or traj[i + 1] != traj[i]):
            done[i] = 1.0
    starts = [int(np.argmax(traj == tr)) for tr in range(5)]
    return dict(obs=obs, next_obs=nxt, actions=act, rewards=rew, dones=done, traj=traj,
                step=step, expert=is_exp, lens=lens, starts=starts)


def features(obs_raw):
    """rise's feature rule on raw observations: float32 values, |x| in double, times
    float32(1 / |x|)."""
    out = np.zeros_like(obs_raw, dtype=np.float32)
    for i, x in enumerate(obs_raw):
        s = float(np.sum(x.astype(np.float64) ** 2))
        inv = np.float32(1.0 / math.sqrt(s)) if s > 0 else np.float32(1.0)
        out[i] = (x * inv).astype(np.float32)
    return out.astype(np.float64)


def relabel(data):
    """RISE's dataset.py (build_state_augmentation_data_advanced): retrieve k + 1, filter."""
    feat = features(data["obs"])
    n = len(feat)
    play = [i for i in range(n) if not data["expert"][i] and data["step"][i] >= SKIP_PLAY]
    exp = [i for i in range(n) if data["expert"][i] and data["step"][i] >= SKIP_EXPERT]
    pairs = []
    stats = dict(thresh_drop=0, grip_drop=0, demo_drop=0, kept=[0, 0], margins=[])
    for qi in play:
        for rule, refs in ((0, exp), (1, play)):
            d = np.sqrt(((feat[refs] - feat[qi]) ** 2).sum(1))
            order = sorted(range(len(refs)), key=lambda j: (d[j], j))
            kk = min(K_NEIGH + 1, len(refs))
            if len(refs) > kk:
                stats["margins"].append(d[order[kk]] - d[order[kk - 1]])
            for j in order[:kk]:
                r = refs[j]
                stats["margins"].append(abs(d[j] - THRESH))
                if d[j] > THRESH:
                    stats["thresh_drop"] += 1
                    continue
                if rule == 0 and data["obs"][qi][2] != data["obs"][r][2]:
                    stats["grip_drop"] += 1
                    continue
                if rule == 1 and data["traj"][qi] == data["traj"][r]:
                    stats["demo_drop"] += 1
                    continue
                pairs.append((qi, r, rule))
                stats["kept"][rule] += 1
    return pairs, stats


# ---------------------------------------------------------------- gathers (data/sequence.c)
def obs_history(obs_n, data, idx):
    out = []
    for i in idx:
        t, s = int(data["step"][i]), data["starts"][data["traj"][i]]
        out.append(np.concatenate([obs_n[s + max(t - (TO - 1) + j, 0)] for j in range(TO)]))
    return torch.tensor(np.array(out), dtype=torch.float64)


def action_chunk(data, idx):
    out = []
    for i in idx:
        tr, t = data["traj"][i], int(data["step"][i])
        s, L = data["starts"][tr], data["lens"][tr]
        out.append(np.concatenate([data["actions"][s + min(t + j, L - 1)] for j in range(TA)]))
    return torch.tensor(np.array(out), dtype=torch.float64)


# ---------------------------------------------------------------- networks (torch layout)
def linear_init(P, gen, name, fin, fout, ens=None):
    bound = 1.0 / math.sqrt(fin)
    wshape = (fout, fin) if ens is None else (ens, fout, fin)
    bshape = (fout,) if ens is None else (ens, fout)
    P[f"{name}.w"] = (torch.rand(wshape, generator=gen) * 2 - 1) * bound
    P[f"{name}.b"] = (torch.rand(bshape, generator=gen) * 2 - 1) * bound


def mlp_init(P, gen, name, dims, ens=None):
    for l, (a, b) in enumerate(zip(dims[:-2], dims[1:-1])):
        linear_init(P, gen, f"{name}.fc{l}", a, b, ens)
    linear_init(P, gen, f"{name}.out", dims[-2], dims[-1], ens)


def mlp(P, name, x, n_hidden, ens=None):
    """robomimic's MLP: Linear -> ReLU per hidden layer, then Linear (no LayerNorm)."""
    def lin(h, w, b):
        if ens is None:
            return h @ w.T + b
        return torch.einsum("ebi,eoi->ebo", h, w) + b[:, None, :]
    h = x if ens is None else x.unsqueeze(0).expand(ens, *x.shape)
    for l in range(n_hidden):
        h = F.relu(lin(h, P[f"{name}.fc{l}.w"], P[f"{name}.fc{l}.b"]))
    return lin(h, P[f"{name}.out.w"], P[f"{name}.out.b"])


def lnresnet(P, name, x):
    r = x @ P[f"{name}.in.w"].T + P[f"{name}.in.b"]
    for k in range(BLOCKS):
        n = F.layer_norm(r, (HID,), P[f"{name}.blk{k}.ln.g"], P[f"{name}.blk{k}.ln.b"], LN_EPS)
        h = F.mish(n @ P[f"{name}.blk{k}.fc1.w"].T + P[f"{name}.blk{k}.fc1.b"])
        r = r + h @ P[f"{name}.blk{k}.fc2.w"].T + P[f"{name}.blk{k}.fc2.b"]
    return F.mish(r) @ P[f"{name}.out.w"].T + P[f"{name}.out.b"]


def init_params(gen):
    Pp, Q, V = {}, {}, {}
    mlp_init(Pp, gen, "policy.code", [D, CODE_W, CODE_W, D])
    din = TO * D + TA * A + 2 * NF
    linear_init(Pp, gen, "policy.net.in", din, HID)
    for k in range(BLOCKS):
        Pp[f"policy.net.blk{k}.ln.g"] = 1.0 + 0.1 * torch.randn(HID, generator=gen)
        Pp[f"policy.net.blk{k}.ln.b"] = 0.1 * torch.randn(HID, generator=gen)
        linear_init(Pp, gen, f"policy.net.blk{k}.fc1", HID, EXPAND * HID)
        linear_init(Pp, gen, f"policy.net.blk{k}.fc2", EXPAND * HID, HID)
    linear_init(Pp, gen, "policy.net.out", HID, TA * A)
    mlp_init(Q, gen, "q", [D + A] + CRITIC_HIDDEN + [1], ens=2)
    mlp_init(V, gen, "v", [D] + CRITIC_HIDDEN + [1])
    fin = lambda P: {k: f32(v) for k, v in P.items()}  # noqa: E731
    return fin(Pp), fin(Q), fin(V)


# ---------------------------------------------------------------- optimisers
class Adam:
    """torch.optim.Adam's arithmetic (no weight decay), one state per tensor."""
    def __init__(self, P):
        self.m = {k: torch.zeros_like(v) for k, v in P.items()}
        self.v = {k: torch.zeros_like(v) for k, v in P.items()}
        self.t = 0

    def step(self, P, G, lr):
        self.t += 1
        out = {}
        for k, p in P.items():
            g = G[k]
            self.m[k] = BETA1 * self.m[k] + (1.0 - BETA1) * g
            self.v[k] = BETA2 * self.v[k] + (1.0 - BETA2) * g * g
            mh = self.m[k] / (1.0 - BETA1 ** self.t)
            vh = self.v[k] / (1.0 - BETA2 ** self.t)
            out[k] = p - lr * mh / (torch.sqrt(vh) + ADAM_EPS)
        return out


def ema_decay(n):
    """diffusers EMAModel.get_decay with use_ema_warmup, inv_gamma 1, update_after_step 0."""
    step = max(0, n - 1)
    if step <= 0:
        return 0.0
    return max(min(1.0 - (1.0 + step) ** -EMA_POWER, EMA_MAX), 0.0)


def grads(loss, P):
    Pl = list(P.values())
    gs = torch.autograd.grad(loss, Pl)
    return {k: g.detach() for k, g in zip(P.keys(), gs)}


def leaf(P):
    return {k: v.detach().clone().requires_grad_(True) for k, v in P.items()}


# ---------------------------------------------------------------- schedule and draws
def cosine_tables():
    def ab(t):
        c = math.cos((t / T + 0.008) / 1.008 * math.pi / 2.0)
        return c * c
    betas, alpha_bar, prod = [], [], 1.0
    for k in range(T):
        beta = min(1.0 - ab(k + 1) / ab(k), 0.999)
        betas.append(beta)
        prod *= 1.0 - beta
        alpha_bar.append(prod)
    return betas, alpha_bar


def draw_noise(rows, offset):
    """rise's diffusion_q_sample draws: k per row, eps per element (AD = TA * A)."""
    AD = TA * A
    nblk = (rows + 3) // 4
    k = [below(rng_word(SEED, STREAM_POLICY, offset, b), T) for b in range(rows)]
    eps = torch.tensor([[rng_normal(SEED, STREAM_POLICY, offset + nblk, b * AD + j)
                         for j in range(AD)] for b in range(rows)])
    return k, eps


def freqs():
    step = math.log(MAX_PERIOD) / (NF - 1)
    return torch.tensor([r32(math.exp(-step * i)) for i in range(NF)])


# ---------------------------------------------------------------- the two updates
def critic_update(Q, Qt, V, optQ, optV, batch):
    """IDQL._compute_critic_loss + _update_critic: every loss from the pre-step networks."""
    s, a, r, d, s2 = batch
    x = torch.cat([s, a], 1)
    Ql, Vl = leaf(Q), leaf(V)
    with torch.no_grad():
        q_target = r + (1.0 - d) * GAMMA * mlp(V, "v", s2, 3)[:, 0]   # V before its update
        q_pred_t = mlp(Qt, "q", x, 3, ens=2)[..., 0].min(0).values
    q = mlp(Ql, "q", x, 3, ens=2)[..., 0]
    loss_q = sum(F.mse_loss(q[i], q_target) for i in range(2))
    vf = mlp(Vl, "v", s, 3)[:, 0]
    err = vf - q_pred_t
    sign = (err > 0).double()
    w = (1 - sign) * EXPECTILE + sign * (1 - EXPECTILE)
    loss_v = (w * err ** 2).mean()
    gq, gv = grads(loss_q, Ql), grads(loss_v, Vl)
    Qn = optQ.step(Q, gq, CRITIC_LR)
    Qtn = {k: (1.0 - TAU) * Qt[k] + TAU * Qn[k] for k in Q}
    Vn = optV.step(V, gv, CRITIC_LR)
    return Qn, Qtn, Vn, float(loss_q.detach()), float(loss_v.detach()), {**gq, **gv}


def policy_loss(P, obs_hist, chunk, k, eps, ab):
    sab = torch.tensor([r32(math.sqrt(ab[i])) for i in k])[:, None]
    s1m = torch.tensor([r32(math.sqrt(1.0 - ab[i])) for i in k])[:, None]
    xk = sab * chunk + s1m * eps
    frames = obs_hist.reshape(-1, D)                       # ObservationEncoder per frame
    feat = mlp(P, "policy.code", frames, 2).reshape(obs_hist.shape[0], TO * D)
    ph = torch.tensor(k, dtype=torch.float64)[:, None] * freqs()[None, :]
    emb = torch.cat([torch.sin(ph), torch.cos(ph)], 1)
    eps_hat = lnresnet(P, "policy.net", torch.cat([feat, xk, emb], 1))
    bc = F.mse_loss(eps_hat, eps)
    sigma = torch.linalg.matrix_norm(P["policy.code.out.w"], ord=2)   # obs_nets.py
    return bc, sigma


def policy_update(P, ema, opt, n, obs_hist, chunk, k, eps, ab):
    Pl = leaf(P)
    bc, sigma = policy_loss(Pl, obs_hist, chunk, k, eps, ab)
    G = grads(bc + LAMBDA * sigma, Pl)
    d = ema_decay(n)                                      # the EMA steps inside the loss ...
    ema = {kk: ema[kk] - (1.0 - d) * (ema[kk] - P[kk]) for kk in P}
    Pn = opt.step(P, G, POLICY_LR)                       # ... before the Adam step
    return Pn, ema, float(bc), float(sigma), G


# ---------------------------------------------------------------- sampling (diffusers)
def sample(P, obs_hist, noise, ddim, betas, ab):
    N = obs_hist.shape[0]
    AD = TA * A
    frames = obs_hist.reshape(-1, D)
    feat = mlp(P, "policy.code", frames, 2).reshape(N, TO * D)
    x = noise[0]
    ks = [(DDIM_STEPS - 1 - i) * (T // DDIM_STEPS) for i in range(DDIM_STEPS)] if ddim \
        else list(range(T - 1, -1, -1))
    margin = []
    for s, k in enumerate(ks):
        ph = torch.full((N, 1), float(k)) * freqs()[None, :]
        emb = torch.cat([torch.sin(ph), torch.cos(ph)], 1)
        eps = lnresnet(P, "policy.net", torch.cat([feat, x, emb], 1))
        prev = k - T // DDIM_STEPS if ddim else k - 1
        a_t, a_p = ab[k], (ab[prev] if prev >= 0 else 1.0)
        x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        margin.append(float((x0.abs() - 1.0).abs().min()))
        x0 = x0.clamp(-1.0, 1.0)                          # clip_sample: x0 only
        if ddim:
            x = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p) * eps
        else:
            beta = betas[k]
            mean = (math.sqrt(a_p) * beta / (1 - a_t)) * x0 + \
                   (math.sqrt(1 - beta) * (1 - a_p) / (1 - a_t)) * x
            var = max((1 - a_p) / (1 - a_t) * beta, 1e-20)
            x = mean + (math.sqrt(var) * noise[s + 1] if k > 0 else 0.0)
    assert min(margin) > 1e-4, f"a predicted x0 sits on the clip boundary ({min(margin):.3g})"
    return x.reshape(N, AD)


# ---------------------------------------------------------------- output


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "rise_step.txt"))
    args = ap.parse_args()
    philox_self_test()
    for data_seed in range(100):
        data = make_data(np.random.default_rng(data_seed))
        pairs, st = relabel(data)
        ok = (st["thresh_drop"] > 0 and st["grip_drop"] > 0 and st["demo_drop"] > 0 and
              min(st["kept"]) > 0 and min(st["margins"]) > 2e-4)
        if ok:
            break
    assert ok, "no data seed exercises every relabelling filter with margins"
    n = len(data["obs"])
    obs_n = (data["obs"] - OBS_SHIFT) / OBS_SCALE          # exact: 1/64 grid, 2^k scales
    nxt_n = (data["next_obs"] - OBS_SHIFT) / OBS_SCALE
    assert np.all((obs_n * OBS_SCALE + OBS_SHIFT) == data["obs"])

    gen = torch.Generator().manual_seed(21)
    P, Q, V = init_params(gen)
    Qt = dict(Q)
    ema = dict(P)
    betas, ab = cosine_tables()
    optQ, optV, optP = Adam(Q), Adam(V), Adam(P)

    # step 1: regular batch
    idx = [below(rng_word(SEED, STREAM_SAMPLER, 0, b), n) for b in range(B)]
    t = lambda x: torch.tensor(np.asarray(x), dtype=torch.float64)  # noqa: E731
    batch = (t(obs_n[idx]), t(data["actions"][idx]), t(data["rewards"][idx]),
             t(data["dones"][idx]), t(nxt_n[idx]))
    Q1, Qt1, V1, loss_q, loss_v, Gc = critic_update(Q, Qt, V, optQ, optV, batch)
    k0, eps0 = draw_noise(B, 0)
    P1, ema1, bc1, sig1, G1 = policy_update(P, ema, optP, 1, obs_history(obs_n, data, idx),
                                            action_chunk(data, idx), k0, eps0, ab)
    # step 2: relabelled pairs, the critic untouched
    pidx = [below(rng_word(SEED, STREAM_PAIRS, 0, b), len(pairs)) for b in range(B)]
    pobs = [pairs[i][0] for i in pidx]
    pact = [pairs[i][1] for i in pidx]
    k1, eps1 = draw_noise(B, 1 << 32)
    P2, ema2, bc2, sig2, G2 = policy_update(P1, ema1, optP, 2, obs_history(obs_n, data, pobs),
                                            action_chunk(data, pact), k1, eps1, ab)
    # sampling with the EMA weights
    sobs = obs_history(obs_n, data, [2, 14, 25])
    sgen = torch.Generator().manual_seed(5)
    noise = f32(torch.randn(T + 1, 3, TA * A, generator=sgen))
    with torch.no_grad():
        s_ddim = sample(ema2, sobs, noise, True, betas, ab)
        s_ddpm = sample(ema2, sobs, noise, False, betas, ab)

    w = Writer("make_golden_rise.py")
    w.array("dims", [D, A, TO, TA, B, HID, BLOCKS, NF, T, CODE_W, DDIM_STEPS, K_NEIGH,
                     SKIP_EXPERT, SKIP_PLAY] + CRITIC_HIDDEN)
    for name, v in (("gamma", GAMMA), ("expectile", EXPECTILE), ("tau", TAU),
                    ("critic_lr", CRITIC_LR), ("policy_lr", POLICY_LR), ("lambda", LAMBDA),
                    ("ema_power", EMA_POWER), ("ema_max", EMA_MAX), ("threshold", THRESH),
                    ("max_period", MAX_PERIOD)):
        w.array(f"hp.{name}", [v])
    w.array("rng.seed", [SEED])
    for name in ("obs", "next_obs", "actions", "rewards", "dones", "traj", "step", "expert"):
        w.array(f"data.{name}", data[name])
    w.array("data.obs_shift", OBS_SHIFT)
    w.array("data.obs_scale", OBS_SCALE)
    w.group("init", {**P, **Q, **V})
    w.array("pairs.obs_idx", [p[0] for p in pairs])
    w.array("pairs.act_idx", [p[1] for p in pairs])
    w.array("pairs.rule", [p[2] for p in pairs])
    w.array("batch0.idx", idx)
    w.array("batch1.pidx", pidx)
    for tag, Pv, E, G, bc, sig in (("s1", P1, ema1, G1, bc1, sig1), ("s2", P2, ema2, G2, bc2, sig2)):
        w.group(tag, Pv)
        w.group(f"{tag}.ema", E)
        w.group(f"{tag}.grad", G)
        w.array(f"{tag}.loss_pi", [bc])
        w.array(f"{tag}.sigma", [sig])
    w.group("s1", {**Q1, **V1})
    w.group("s1.target", Qt1)
    w.group("s1.grad", Gc)
    w.array("s1.loss_q", [loss_q])
    w.array("s1.loss_v", [loss_v])
    w.array("sample.obs", sobs)
    w.array("sample.noise", noise)
    w.array("sample.ddim", s_ddim)
    w.array("sample.ddpm", s_ddpm)
    w.save(args.out)
    print(f"data seed {data_seed}: {n} transitions, {len(pairs)} pairs "
          f"(play->expert {st['kept'][0]}, play->play {st['kept'][1]}; dropped: threshold "
          f"{st['thresh_drop']}, gripper {st['grip_drop']}, same demo {st['demo_drop']}; "
          f"smallest margin {min(st['margins']):.3g})")
    print(f"batch {idx}, pairs batch {pidx}")
    print(f"step 1: loss_q {loss_q:.6g} loss_v {loss_v:.6g} loss_pi {bc1:.6g} sigma {sig1:.6g}")
    print(f"step 2: loss_pi {bc2:.6g} sigma {sig2:.6g}; EMA decay at update 2 {ema_decay(2):.6g}")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
