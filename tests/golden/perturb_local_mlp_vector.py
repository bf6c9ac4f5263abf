def local_mlp_losses_jvp(params, x, y):
    """Value and JVP of local_mlp_losses w.r.t. its perturb sites."""
    t1 = x @ params['W1'] + params['b1']
    z1 = perturb(t1, name='b1/z')
    dz1 = perturbation.inject(xp, None, t1, 'b1/z', inputs=x, weight='W1',
        bias='b1')
    h1 = xp.maximum(z1, 0)
    dh1 = dz1 * (z1 > 0)
    t2 = params['H1']
    t3 = h1 @ t2
    dt3 = rt.bmatmul_left(xp, dh1, t2, h1)
    t4 = params['c1']
    t5 = t3 + t4
    dt5 = rt.fresh_full(rt.balign(dt3, t3, t5), t5)
    a1 = perturb(t5, name='b1/head')
    da1 = perturbation.inject(xp, dt5, t5, 'b1/head', inputs=h1, weight=
        'H1', bias='c1')
    h1s = stop_gradient(h1)
    t6 = h1s @ params['W2'] + params['b2']
    z2 = perturb(t6, name='b2/z')
    dz2 = perturbation.inject(xp, None, t6, 'b2/z', inputs=h1s, weight='W2',
        bias='b2')
    h2 = xp.maximum(z2, 0)
    dh2 = dz2 * (z2 > 0)
    t7 = params['H2']
    t8 = h2 @ t7
    dt8 = rt.bmatmul_left(xp, dh2, t7, h2)
    t9 = params['c2']
    t10 = t8 + t9
    dt10 = rt.fresh_full(rt.balign(dt8, t8, t10), t10)
    a2 = perturb(t10, name='b2/head')
    da2 = perturbation.inject(xp, dt10, t10, 'b2/head', inputs=h2, weight=
        'H2', bias='c2')
    h2s = stop_gradient(h2)
    t11 = h2s @ params['W3'] + params['b3']
    z3 = perturb(t11, name='out/z')
    dz3 = perturbation.inject(xp, None, t11, 'out/z', inputs=h2s, weight=
        'W3', bias='b3')
    t12, dt12 = per_example_cross_entropy_jvp(a1, y, dlogits=da1)
    t13, dt13 = per_example_cross_entropy_jvp(a2, y, dlogits=da2)
    t14, dt14 = per_example_cross_entropy_jvp(z3, y, dlogits=dz3)
    t15 = {'b1': t12, 'b2': t13, 'out': t14}
    dt15 = {'b1': dt12, 'b2': dt13, 'out': dt14}
    return t15, dt15


def per_example_cross_entropy_jvp(logits, y, dlogits):
    """Value and JVP of per_example_cross_entropy w.r.t. logits."""
    K = rt.batch_size(dlogits)
    t1 = logits.max(axis=1, keepdims=True)
    s = logits - t1
    del t1
    ds = dlogits
    t2 = xp.exp(s)
    dt2 = ds * t2
    t3 = t2.sum(axis=1, keepdims=True)
    del t2
    dt3 = rt.bstack(xp, [rt.bslice(dt2, k_1).sum(axis=1, keepdims=True) for
        k_1 in range(K)])
    del dt2
    t4 = xp.log(t3)
    dt4 = dt3 / t3
    del dt3, t3
    logp = s - t4
    dlogp = rt.balign(ds, s, logp) - rt.balign(dt4, t4, logp)
    del dt4, t4
    t5 = xp.arange(logits.shape[0])
    t6 = logp[t5, y]
    dt6 = rt.bget(dlogp, (t5, y))
    del t5
    t7 = -t6
    dt7 = -dt6
    del dt6
    return t7, dt7
