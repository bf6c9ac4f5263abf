def mlp_loss_jvp(params, x, y, dparams):
    """Value and JVP of mlp_loss w.r.t. params."""
    t1, dt1 = mlp_logits_jvp(params, x, dparams=dparams)
    t2, dt2 = softmax_cross_entropy_jvp(t1, y, dlogits=dt1)
    return t2, dt2


def mlp_logits_jvp(params, x, dparams):
    """Value and JVP of mlp_logits w.r.t. params."""
    t1 = params['W1']
    dt1 = dparams['W1']
    t2 = x @ t1
    dt2 = x @ dt1.u * dt1.w[:, 0]
    t3 = params['b1']
    dt3 = dparams['b1']
    t4 = t2 + t3
    del t2
    dt4 = dt2 + dt3
    del dt2
    h1 = xp.maximum(t4, 0)
    dh1 = dt4 * (t4 > 0)
    del dt4, t4
    t5 = params['W2']
    dt5 = dparams['W2']
    t6 = h1 @ t5
    dt6 = dh1 @ t5 + h1 @ dt5.u * dt5.w[:, 0]
    t7 = params['b2']
    dt7 = dparams['b2']
    t8 = t6 + t7
    del t6
    dt8 = dt6 + dt7
    del dt6
    h2 = xp.maximum(t8, 0)
    dh2 = dt8 * (t8 > 0)
    del dt8, t8
    t9 = params['W3']
    dt9 = dparams['W3']
    t10 = h2 @ t9
    dt10 = dh2 @ t9 + h2 @ dt9.u * dt9.w[:, 0]
    t11 = params['b3']
    dt11 = dparams['b3']
    t12 = t10 + t11
    del t10
    dt12 = dt10 + dt11
    del dt10
    return t12, dt12


def softmax_cross_entropy_jvp(logits, y, dlogits):
    """Value and JVP of softmax_cross_entropy w.r.t. logits."""
    t1 = logits.max(axis=1, keepdims=True)
    s = logits - t1
    del t1
    ds = dlogits
    t2 = xp.exp(s)
    dt2 = ds * t2
    t3 = t2.sum(axis=1, keepdims=True)
    del t2
    dt3 = dt2.sum(axis=1, keepdims=True)
    del dt2
    t4 = xp.log(t3)
    dt4 = dt3 / t3
    del dt3, t3
    logp = s - t4
    del t4
    dlogp = ds - dt4
    del dt4
    t5 = xp.arange(logits.shape[0])
    t6 = logp[t5, y]
    dt6 = dlogp[t5, y]
    del t5
    t7 = t6.mean()
    dt7 = dt6.mean()
    t8 = -t7
    del t7
    dt8 = -dt7
    del dt7
    return t8, dt8
