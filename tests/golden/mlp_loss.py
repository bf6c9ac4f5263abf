def mlp_loss_jvp(params, x, y, dparams):
    """Value and JVP of mlp_loss w.r.t. params."""
    t1 = params['W1']
    dt1 = dparams['W1']
    t2 = x @ t1
    dt2 = x @ dt1
    t3 = params['b1']
    dt3 = dparams['b1']
    t4 = t2 + t3
    del t2
    dt4 = dt2 + dt3
    del dt2
    h = xp.maximum(t4, 0)
    dh = dt4 * (t4 > 0)
    del dt4, t4
    t5 = params['W2']
    dt5 = dparams['W2']
    t6 = h @ t5
    dt6 = dh @ t5 + h @ dt5
    t7 = params['b2']
    dt7 = dparams['b2']
    logits = t6 + t7
    del t6
    dlogits = dt6 + dt7
    del dt6
    t8 = logits.max(axis=1, keepdims=True)
    z = logits - t8
    del t8
    dz = dlogits
    t9 = xp.exp(z)
    dt9 = dz * t9
    t10 = t9.sum(axis=1, keepdims=True)
    del t9
    dt10 = dt9.sum(axis=1, keepdims=True)
    del dt9
    t11 = xp.log(t10)
    dt11 = dt10 / t10
    del dt10, t10
    logp = z - t11
    del t11
    dlogp = dz - dt11
    del dt11
    t12 = xp.arange(x.shape[0])
    t13 = logp[t12, y]
    dt13 = dlogp[t12, y]
    del t12
    t14 = t13.mean()
    dt14 = dt13.mean()
    t15 = -t14
    del t14
    dt15 = -dt14
    del dt14
    return t15, dt15
