def squares_jvp(x, dx):
    """Value and JVP of squares w.r.t. x."""
    ys = []
    dys = []
    for xi, dxi in zip(x, dx):
        t1 = xi * xi
        dt1 = dxi * xi + xi * dxi
        ys.append(t1)
        dys.append(dt1)
    t2 = sum(ys)
    dt2 = rt.seq_sum(dys)
    return t2, dt2
