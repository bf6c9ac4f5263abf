def halvings_jvp(x, n, dx):
    """Value and JVP of halvings w.r.t. x."""
    if n == 0:
        return x, dx
    t1 = x * x
    dt1 = dx * x + x * dx
    t2 = n - 1
    t3, dt3 = halvings_jvp(t1, t2, dx=dt1)
    t4 = t3 * 0.5
    dt4 = dt3 * 0.5
    return t4, dt4
