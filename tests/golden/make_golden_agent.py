#!/usr/bin/env python3
"""make_golden_agent.py - PyTorch float64 reference for ONE whole training step of IDQL and
of RISE (tests/golden/agent_step.txt, checked by tests/cpu/test_golden_agent.c).

It pins rise's earlier rules, which remain options (Q toward V after its update, one power
iteration, a fixed EMA after Adam); make_golden_rise.py holds the official-code defaults.

Run:  /tmp/torchenv/bin/python tests/golden/make_golden_agent.py [--out tests/golden/agent_step.txt]
(any Python with torch and numpy works). The output is committed; re-run only when the
algorithms change on purpose.

What one step is (the order of algorithms/iql_critic.c and algorithms/agent_step.c):
  critic (rise_iql_critic_update, step 1):
    qt  = min(Q1', Q2')(s, a)                         Q' = the target slot (= initial values)
    L_V = mean |tau - 1(u < 0)| u^2, u = qt - V(s)     expectile 0.9;      Adam on V
    y   = r + gamma (1 - d) V_new(s')                  gamma 0.99, V AFTER its Adam step
    L_Q = sum_i mean (Q_i(s, a) - y)^2                 both members;       Adam on Q
    Q' <- (1 - 0.01) Q' + 0.01 Q
  policy (agent_step.c policy_update, step 1):
    zero grad; rise_diffusion_loss with rng {seed, stream, offset}:
      k_b = rise_below(rise_rng_word(seed, stream, offset, b), T)
      eps = rise_rng_normal(seed, stream, offset + ceil(B/4), b*A + j)   (Philox4x32-10 and
            Box-Muller re-implemented below with exact uint32 arithmetic)
      x_k = sqrt(ab_k) a0 + sqrt(1 - ab_k) eps;  eps_hat = net([c(s), x_k, emb(k)])
      L_pi = mean (eps_hat - eps)^2
    RISE only: rise_diffusion_spectral (code form, 1 power iteration from the given u):
      v = W^T u / |.|, u = W v / |.|, sigma = u^T W v, grad(W) += lambda u v^T
      (W = pi.code.out.w in the C layout [in, out]; lambda 0.1)
    Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8); EMA <- 0.995 EMA + 0.005 value.

Sizes: obs D 3, action A 2, batch B 8. Critic: MLPs [s,a] -> 16 -> 16 -> 1 (twin ensemble)
and s -> 16 -> 16 -> 1, each hidden layer Linear -> LayerNorm(1e-5) -> relu. Denoiser:
LN-ResNet in 13 = D + A + 2F -> 8, 1 block (LayerNorm -> 32 -> mish -> 8), mish -> 2, no
dropout; sinusoidal time embedding F 4, max_period 1000 (f_i = 1000^(-i/3), [sin, cos]);
cosine schedule T 10. RISE's code MLP: D -> 16 -> 16 -> D, relu, no LayerNorm, in front
of the denoiser (its gradient flows back through the denoiser's input).

Written (weights "*.w" in PyTorch's [out, in] layout, ensemble weights [E, out, in]; the
C side transposes; every other tensor has the same layout on both sides):
  dims                      D A B critic_width critic_depth hidden blocks F T code_width iters
  hp.*                      gamma expectile tau critic_lr policy_lr beta1 beta2 adam_eps
                            ema_rate lambda max_period;  rng.seed rng.stream rng.offset
  batch.obs/act/next_obs/r/done    (the policy uses obs and a0 = act)
  noise.k [B], noise.eps [B, A], noise.xt [B, A]    the Philox draws of the noising op
  critic.init.<p>           initial Q and V parameters (the Q target starts equal to Q)
  critic.grad.<p>           the gradients the update used (Q and V)
  critic.value.<p>          after the step;  critic.target.<q...> the Polyak target after it
  critic.loss_v, critic.loss_q
  critic.alt.grad.<q...>,   negative control: the Q gradients and loss when y uses V BEFORE
  critic.alt.loss_q         its update (the wrong order); the C test checks they are far
                            outside the tolerance of what the C step produced
  P.init/grad/value/ema.<p> for P = idql and rise (policy tensors named as registered,
                            "pi.*"), P.loss
  rise.spec.u0 [16]         the initial power-iteration u;  rise.spec.u/.v after; rise.sigma
Float64 reference from float32 initial values (like make_golden.py); hyper-parameters
are rounded to float32 first, since that is what the C code sees.
"""
import argparse
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from golden_writer import Writer

torch.set_default_dtype(torch.float64)

D, A, B = 3, 2, 8
CW, CDEPTH = 16, 2
HID, BLOCKS, EXPAND = 8, 1, 4
NF, MAX_PERIOD, T = 4, 1000.0, 10
CODE_W, ITERS = 16, 1
LN_EPS = 1e-5


def r32(x):
    return float(np.float32(x))


GAMMA, EXPECTILE, TAU = r32(0.99), r32(0.9), r32(0.01)
CRITIC_LR, POLICY_LR = r32(3e-4), r32(1e-3)
BETA1, BETA2, ADAM_EPS = r32(0.9), r32(0.999), r32(1e-8)
EMA_RATE, LAMBDA = r32(0.005), r32(0.1)
SEED, STREAM, OFFSET = 1234567, 3, 40


# ---------------------------------------------------------------- Philox (kernels/philox.h)
M32 = 0xFFFFFFFF


def philox4x32_10(ctr, k0, k1):
    c = list(ctr)
    for _ in range(10):
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        hi0, lo0 = (p0 >> 32) & M32, p0 & M32
        hi1, lo1 = (p1 >> 32) & M32, p1 & M32
        c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0]
        k0 = (k0 + 0x9E3779B9) & M32
        k1 = (k1 + 0xBB67AE85) & M32
    return c


def philox_block(seed, stream, block):
    return philox4x32_10([block & M32, (block >> 32) & M32, stream & M32, 0], seed & M32,
                         (seed >> 32) & M32)


def rng_word(seed, stream, offset, i):
    return philox_block(seed, stream, offset + (i >> 2))[i & 3]


def below(x, n):
    return (x * n) >> 32


def u01(x):
    return np.float32((np.float32(x >> 9) + np.float32(0.5)) * np.float32(1.0 / 8388608.0))


def rng_normal(seed, stream, offset, i):
    """Box-Muller in float32 as the C code (logf/sinf/cosf evaluated in double and rounded:
    at most an ulp from glibc's, far below the test tolerance)."""
    b = philox_block(seed, stream, offset + (i >> 1))
    a1, a2 = u01(b[0]), u01(b[1])
    r = np.float32(math.sqrt(np.float32(np.float32(-2.0) * np.float32(math.log(a1)))))
    theta = np.float32(np.float32(6.283185307179586) * a2)
    s = np.float32(math.sin(theta)) if (i & 1) else np.float32(math.cos(theta))
    return float(np.float32(r * s))


def philox_self_test():
    assert philox4x32_10([0, 0, 0, 0], 0, 0) == [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    assert philox4x32_10([M32] * 4, M32, M32) == [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    assert philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], 0xa4093822,
                         0x299f31d0) == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]


# ---------------------------------------------------------------- schedule, embedding
def cosine_sqrt_tables():
    def ab(t):
        c = math.cos((t / T + 0.008) / 1.008 * math.pi / 2.0)
        return c * c
    alpha_bar, prod = [], 1.0
    for k in range(T):
        beta = min(1.0 - ab(k + 1) / ab(k), 0.999)
        prod *= 1.0 - beta
        alpha_bar.append(prod)
    # The C code stores both tables as float32.
    return ([r32(math.sqrt(a)) for a in alpha_bar], [r32(math.sqrt(1.0 - a)) for a in alpha_bar])


def freqs():
    step = math.log(MAX_PERIOD) / (NF - 1)
    return torch.tensor([r32(math.exp(-step * i)) for i in range(NF)])


def draw_noise(a0):
    nblk = (B + 3) // 4
    k = [below(rng_word(SEED, STREAM, OFFSET, b), T) for b in range(B)]
    eps = torch.tensor([[rng_normal(SEED, STREAM, OFFSET + nblk, b * A + j) for j in range(A)]
                        for b in range(B)])
    sab, s1m = cosine_sqrt_tables()
    ca = torch.tensor([sab[i] for i in k]).reshape(B, 1)
    cn = torch.tensor([s1m[i] for i in k]).reshape(B, 1)
    return torch.tensor(k, dtype=torch.float64), eps, ca * a0 + cn * eps


# ---------------------------------------------------------------- networks (torch layout)
def f32(t):
    return t.detach().to(torch.float32).to(torch.float64)


def mlp_forward(P, name, x, n_hidden, layernorm, act, ens=None):
    """ens None: plain MLP; else P holds [E, ...] tensors and the output is [E, B, out]."""
    def lin(h, w, b):
        if ens is None:
            return h @ w.T + b
        return torch.einsum("ebi,eoi->ebo", h, w) + b[:, None, :]
    h = x if ens is None else x.unsqueeze(0).expand(ens, *x.shape)
    for l in range(n_hidden):
        h = lin(h, P[f"{name}.fc{l}.w"], P[f"{name}.fc{l}.b"])
        if layernorm:
            g, bb = P[f"{name}.ln{l}.g"], P[f"{name}.ln{l}.b"]
            mu = h.mean(-1, keepdim=True)
            var = ((h - mu) ** 2).mean(-1, keepdim=True)
            hn = (h - mu) / torch.sqrt(var + LN_EPS)
            h = hn * (g if ens is None else g[:, None, :]) + (bb if ens is None else bb[:, None, :])
        h = act(h)
    return lin(h, P[f"{name}.out.w"], P[f"{name}.out.b"])


def lnresnet_forward(P, name, x):
    r = x @ P[f"{name}.in.w"].T + P[f"{name}.in.b"]
    for k in range(BLOCKS):
        n = F.layer_norm(r, (HID,), P[f"{name}.blk{k}.ln.g"], P[f"{name}.blk{k}.ln.b"], LN_EPS)
        h = F.mish(n @ P[f"{name}.blk{k}.fc1.w"].T + P[f"{name}.blk{k}.fc1.b"])
        r = r + h @ P[f"{name}.blk{k}.fc2.w"].T + P[f"{name}.blk{k}.fc2.b"]
    return F.mish(r) @ P[f"{name}.out.w"].T + P[f"{name}.out.b"]


def linear_init(P, gen, name, fin, fout, ens=None):
    bound = 1.0 / math.sqrt(fin)
    wshape = (fout, fin) if ens is None else (ens, fout, fin)
    bshape = (fout,) if ens is None else (ens, fout)
    P[f"{name}.w"] = (torch.rand(wshape, generator=gen) * 2 - 1) * bound
    P[f"{name}.b"] = (torch.rand(bshape, generator=gen) * 2 - 1) * bound


def ln_init(P, gen, name, cols, ens=None):
    shape = (cols,) if ens is None else (ens, cols)
    P[f"{name}.g"] = 1.0 + 0.1 * torch.randn(shape, generator=gen)
    P[f"{name}.b"] = 0.1 * torch.randn(shape, generator=gen)


def mlp_init(P, gen, name, dims, layernorm, ens=None):
    for l, (a, b) in enumerate(zip(dims[:-2], dims[1:-1])):
        linear_init(P, gen, f"{name}.fc{l}", a, b, ens)
        if layernorm:
            ln_init(P, gen, f"{name}.ln{l}", b, ens)
    linear_init(P, gen, f"{name}.out", dims[-2], dims[-1], ens)


def finalize(P):
    return {k: f32(v).requires_grad_(True) for k, v in P.items()}


def grads_of(loss, P):
    gs = torch.autograd.grad(loss, list(P.values()))
    return {k: g.detach() for k, g in zip(P.keys(), gs)}


def adam1(P, G, lr):
    """Adam step 1 from zero moments, as kernels/optim_ref.c (with float32 hyper-parameters)."""
    out = {}
    for k, p in P.items():
        g = G[k]
        m = (1.0 - BETA1) * g
        v = (1.0 - BETA2) * g * g
        upd = (m / (1.0 - BETA1)) / (torch.sqrt(v / (1.0 - BETA2)) + ADAM_EPS)
        out[k] = (p.detach() - lr * upd).requires_grad_(True)
    return out


# ---------------------------------------------------------------- the step
def critic_step(Q, V, batch, alt_order=False):
    obs, act, nxt, r, d = batch
    x = torch.cat([obs, act], 1)
    with torch.no_grad():
        qt = mlp_forward({k: v.detach() for k, v in Q.items()}, "q", x, CDEPTH, True, F.relu,
                         ens=2)[..., 0].min(0).values
    v = mlp_forward(V, "v", obs, CDEPTH, True, F.relu)[:, 0]
    u = qt - v
    w = torch.where(u < 0, 1.0 - EXPECTILE, EXPECTILE)
    loss_v = (w * u * u).mean()
    gv = grads_of(loss_v, V)
    V_new = adam1(V, gv, CRITIC_LR)
    with torch.no_grad():
        vn = mlp_forward(V if alt_order else V_new, "v", nxt, CDEPTH, True, F.relu)[:, 0]
        y = r + GAMMA * (1.0 - d) * vn
    q = mlp_forward(Q, "q", x, CDEPTH, True, F.relu, ens=2)[..., 0]
    loss_q = ((q - y[None]) ** 2).mean(1).sum()
    gq = grads_of(loss_q, Q)
    Q_new = adam1(Q, gq, CRITIC_LR)
    Q_tgt = {k: (1.0 - TAU) * Q[k].detach() + TAU * Q_new[k].detach() for k in Q}
    info = {"min|u|": float(u.detach().abs().min()), "min|Q1-Q2|":
            float((mlp_forward({k: t.detach() for k, t in Q.items()}, "q", x, CDEPTH, True,
                               F.relu, ens=2)[..., 0].diff(dim=0)).abs().min())}
    return dict(gv=gv, gq=gq, V=V_new, Q=Q_new, Qt=Q_tgt, loss_v=loss_v, loss_q=loss_q, info=info)


def policy_step(Pp, obs, a0, noise, spectral, u0=None):
    k, eps, xt = noise
    f = freqs()
    ph = k[:, None] * f[None, :]
    emb = torch.cat([torch.sin(ph), torch.cos(ph)], 1)
    feat = mlp_forward(Pp, "pi.code", obs, 2, False, F.relu) if spectral else obs
    x = torch.cat([feat, xt, emb], 1)
    eps_hat = lnresnet_forward(Pp, "pi.net", x)
    loss = ((eps_hat - eps) ** 2).mean()
    G = grads_of(loss, Pp)
    extra = {}
    if spectral:
        W = Pp["pi.code.out.w"].detach().T  # C layout [in, out]
        u = u0.clone()
        for _ in range(ITERS):
            v = W.T @ u
            v = v / v.norm()
            u = W @ v
            u = u / u.norm()
        sigma = u @ W @ v
        G["pi.code.out.w"] = G["pi.code.out.w"] + LAMBDA * torch.outer(u, v).T
        extra = dict(u=u, v=v, sigma=sigma)
    new = adam1(Pp, G, POLICY_LR)
    ema = {kk: (1.0 - EMA_RATE) * Pp[kk].detach() + EMA_RATE * new[kk].detach() for kk in Pp}
    return dict(G=G, value=new, ema=ema, loss=loss, **extra)


def check_grads(tag, G):
    """Adam's first step is ~lr sign(g): a gradient near float32 rounding would make the
    golden step fragile. Exact zeros (dead relu units) are fine (zero on both sides)."""
    for k, g in G.items():
        scale = float(g.abs().max())
        nz = g.abs()[g != 0]
        small = float(nz.min()) if nz.numel() else float("inf")
        assert small > max(3e-6 * scale, 1e-6), f"{tag}.{k}: gradient element {small:.3g} ~ 0"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "agent_step.txt"))
    args = ap.parse_args()
    philox_self_test()
    gen = torch.Generator().manual_seed(13)

    Q, V = {}, {}
    mlp_init(Q, gen, "q", [D + A, CW, CW, 1], True, ens=2)
    mlp_init(V, gen, "v", [D, CW, CW, 1], True)
    Q, V = finalize(Q), finalize(V)
    P_idql, P_rise = {}, {}
    for P, code in ((P_idql, False), (P_rise, True)):
        if code:
            mlp_init(P, gen, "pi.code", [D, CODE_W, CODE_W, D], False)
        din = D + A + 2 * NF
        linear_init(P, gen, "pi.net.in", din, HID)
        for k in range(BLOCKS):
            ln_init(P, gen, f"pi.net.blk{k}.ln", HID)
            linear_init(P, gen, f"pi.net.blk{k}.fc1", HID, EXPAND * HID)
            linear_init(P, gen, f"pi.net.blk{k}.fc2", EXPAND * HID, HID)
        linear_init(P, gen, "pi.net.out", HID, A)
    P_idql, P_rise = finalize(P_idql), finalize(P_rise)

    obs = f32(torch.rand(B, D, generator=gen) * 2 - 1)
    act = f32(torch.rand(B, A, generator=gen) * 2 - 1)
    nxt = f32(obs + 0.1 * torch.randn(B, D, generator=gen))
    r = f32(torch.randn(B, generator=gen))
    done = torch.tensor([0, 0, 1, 0, 0, 0, 1, 0], dtype=torch.float64)
    u0 = torch.randn(CODE_W, generator=gen)
    u0 = f32(u0 / u0.norm())

    noise = draw_noise(act)
    crit = critic_step(Q, V, (obs, act, nxt, r, done))
    alt = critic_step(Q, V, (obs, act, nxt, r, done), alt_order=True)
    idql = policy_step(P_idql, obs, act, noise, False)
    rise = policy_step(P_rise, obs, act, noise, True, u0)
    check_grads("critic", {**crit["gq"], **crit["gv"]})
    check_grads("idql", idql["G"])
    check_grads("rise", rise["G"])
    alt_move = max(float((alt["gq"][k] - crit["gq"][k]).abs().max()) for k in Q)
    assert alt_move > 1e-3, f"the update order barely matters ({alt_move:.3g})"

    w = Writer("make_golden_agent.py")
    w.array("dims", [D, A, B, CW, CDEPTH, HID, BLOCKS, NF, T, CODE_W, ITERS])
    for name, v in (("gamma", GAMMA), ("expectile", EXPECTILE), ("tau", TAU),
                    ("critic_lr", CRITIC_LR), ("policy_lr", POLICY_LR), ("beta1", BETA1),
                    ("beta2", BETA2), ("adam_eps", ADAM_EPS), ("ema_rate", EMA_RATE),
                    ("lambda", LAMBDA), ("max_period", MAX_PERIOD)):
        w.array(f"hp.{name}", [v])
    w.array("rng.seed", [SEED])
    w.array("rng.stream", [STREAM])
    w.array("rng.offset", [OFFSET])
    assert SEED < 2 ** 24, "seed must survive float32"
    for name, v in (("obs", obs), ("act", act), ("next_obs", nxt), ("r", r), ("done", done)):
        w.array(f"batch.{name}", v)
    w.array("noise.k", noise[0])
    w.array("noise.eps", noise[1])
    w.array("noise.xt", noise[2])

    w.group("critic.init", {**Q, **V})
    w.group("critic.grad", {**crit["gq"], **crit["gv"]})
    w.group("critic.value", {**crit["Q"], **crit["V"]})
    w.group("critic.target", crit["Qt"])
    w.array("critic.loss_v", crit["loss_v"].reshape(1))
    w.array("critic.loss_q", crit["loss_q"].reshape(1))
    w.group("critic.alt.grad", alt["gq"])
    w.array("critic.alt.loss_q", alt["loss_q"].reshape(1))
    for tag, P, res in (("idql", P_idql, idql), ("rise", P_rise, rise)):
        w.group(f"{tag}.init", P)
        w.group(f"{tag}.grad", res["G"])
        w.group(f"{tag}.value", res["value"])
        w.group(f"{tag}.ema", res["ema"])
        w.array(f"{tag}.loss", res["loss"].reshape(1))
    w.array("rise.spec.u0", u0)
    w.array("rise.spec.u", rise["u"])
    w.array("rise.spec.v", rise["v"])
    w.array("rise.sigma", rise["sigma"].reshape(1))
    w.save(args.out)

    print(f"k = {[int(x) for x in noise[0]]}")
    print(f"critic: loss_v {float(crit['loss_v'].detach()):.6g} loss_q {float(crit['loss_q'].detach()):.6g} "
          f"{crit['info']}; wrong-order Q gradients move by up to {alt_move:.3g}")
    print(f"idql: loss {float(idql['loss'].detach()):.6g}; rise: loss {float(rise['loss'].detach()):.6g} "
          f"sigma {float(rise['sigma']):.6g}")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
