def branchy_jvp(x, flag, dx):
    """Value and JVP of branchy w.r.t. x."""
    if flag:
        y = x * 3.0
        dy = dx * 3.0
    else:
        y = 1.0
        dy = 0.0
    t1 = y + x
    dt1 = dy + dx
    return t1, dt1
