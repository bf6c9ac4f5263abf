def tanh_layer_jvp(x, W, dW):
    """Value and JVP of tanh_layer w.r.t. W."""
    t1 = W @ x
    dt1 = dW @ x
    t2 = xp.tanh(t1)
    del t1
    dt2 = dt1 * (1 - t2 * t2)
    del dt1
    return t2, dt2
